import { UnrecoverableError } from 'bullmq';
import type { EventJobData } from '@longshore/queue';
import { postToReceiver } from '../callbacks/post-to-receiver.js';
import { signBody } from '../callbacks/sign-body.js';

export const EVENT_SIGNATURE_HEADER = 'X-Longshore-Signature-256';

export interface EventDeliveryDeps {
  /** EVENTS_WEBHOOK_SECRET: signs each body when set. */
  secret: string | undefined;
  /** EVENTS_RETRY_HOURS, in ms: an event older than this is given up. */
  retryMs: number;
  timeoutMs: number;
  now: () => number;
}

/**
 * POSTs one event to one receiver, exactly the bytes published (so every retry carries the same
 * body and id). Anything but a 2xx answer throws, and the events queue retries with back-off
 * until the event is EVENTS_RETRY_HOURS old.
 */
export async function deliverEvent(job: EventJobData, publishedAt: number, deps: EventDeliveryDeps): Promise<number> {
  if (deps.now() - publishedAt > deps.retryMs) {
    throw new UnrecoverableError(`event ${job.eventId} was not delivered within EVENTS_RETRY_HOURS`);
  }
  const headers: Record<string, string> = {
    'Content-Type': 'application/json',
    'User-Agent': 'Longshore-Events/1',
    'X-Longshore-Event-Id': job.eventId,
  };
  if (deps.secret) headers[EVENT_SIGNATURE_HEADER] = signBody(deps.secret, job.body);
  return postToReceiver(job.url, { headers, body: job.body, timeoutMs: deps.timeoutMs }, 'event receiver');
}

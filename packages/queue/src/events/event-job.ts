import type { JobsOptions } from 'bullmq';

/** Events are delivered by their own queue, so a slow or dead receiver never slows a push. */
export const EVENT_QUEUE = 'events';
export const EVENT_JOB = 'deliver-event';

/**
 * An event in Amazon EventBridge's envelope, as ECR publishes "ECR Image Action" (and "ECR Pull
 * Through Cache Action") events: consumers of ECR's events parse it unchanged.
 */
export interface EventBridgeEvent {
  version: '0';
  /** The same on every delivery and retry of the event: receivers de-duplicate by it. */
  id: string;
  'detail-type': string;
  source: 'aws.ecr';
  account: string;
  /** ISO 8601, seconds precision, UTC (`2026-12-05T19:35:32Z`), as EventBridge writes it. */
  time: string;
  region: string;
  resources: string[];
  detail: Record<string, unknown>;
}

/** One delivery of one event to one receiver. */
export interface EventJobData {
  url: string;
  eventId: string;
  /** The exact JSON body every attempt POSTs (what the signature covers). */
  body: string;
}

/** One job per event and receiver: a re-publish of the same event id is the same job. */
export function eventJobId(eventId: string, receiverIndex: number): string {
  return `event-${eventId}-${receiverIndex}`;
}

/**
 * Retries are paced by the worker's back-off strategy (`eventBackoffMs`) and end once the event
 * is older than EVENTS_RETRY_HOURS (the delivery then fails for good): attempts are not counted.
 */
export const eventJobOptions: JobsOptions = {
  attempts: Number.MAX_SAFE_INTEGER,
  backoff: { type: 'event-backoff' },
  removeOnComplete: { age: 24 * 3600, count: 10_000 },
  removeOnFail: { age: 7 * 24 * 3600, count: 10_000 },
};

/** The longest wait between two attempts: a receiver back after a long outage waits at most this. */
export const MAX_EVENT_BACKOFF_MS = 3_600_000;

/** Exponential back-off: `baseMs`, then doubling, at most MAX_EVENT_BACKOFF_MS. */
export function eventBackoffMs(attemptsMade: number, baseMs: number): number {
  const exponent = Math.min(Math.max(attemptsMade - 1, 0), 40);
  return Math.min(baseMs * 2 ** exponent, MAX_EVENT_BACKOFF_MS);
}

import { randomUUID } from 'node:crypto';
import { Queue } from 'bullmq';
import type { Cluster, Redis } from 'ioredis';
import {
  EVENT_JOB,
  EVENT_QUEUE,
  eventJobId,
  eventJobOptions,
  type EventBridgeEvent,
  type EventJobData,
} from './event-job.js';

/** What a publisher needs to know to fill in an event; `detail-type`, `resources` and `detail` vary. */
export interface PublishedEvent {
  detailType: string;
  resources: string[];
  detail: Record<string, unknown>;
}

export interface EventPublisher {
  /**
   * Puts the event on the delivery queue (one job per EVENTS_WEBHOOK_URL) and answers it. One
   * Redis write: delivery happens later, in a worker.
   */
  publish(event: PublishedEvent): Promise<EventBridgeEvent>;
  /** Many events at once (a lifecycle expiry's batch): their deliveries queued with one `addBulk`. */
  publishAll(events: readonly PublishedEvent[]): Promise<EventBridgeEvent[]>;
  close(): Promise<void>;
}

export interface EventPublisherOptions {
  /** QUEUE_PREFIX, as the queue's other users pass it. */
  prefix: string;
  /** EVENTS_WEBHOOK_URL: where each event goes; none: events are built but not queued. */
  webhookUrls: readonly string[];
  /** The account (REGISTRY_ID) and region events are stamped with. */
  account: string;
  region: string;
  /** The clock (epoch ms); injected so tests may move it. */
  now?: () => number;
  onError?: (err: Error) => void;
}

/** An event in EventBridge's envelope, with a fresh id. */
export function eventEnvelope(
  event: PublishedEvent,
  where: { account: string; region: string },
  at: number,
): EventBridgeEvent {
  return {
    version: '0',
    id: randomUUID(),
    'detail-type': event.detailType,
    source: 'aws.ecr',
    account: where.account,
    time: `${new Date(at).toISOString().slice(0, 19)}Z`,
    region: where.region,
    resources: event.resources,
    detail: event.detail,
  };
}

/** The publisher every event of the service goes through: ECR image actions, pull-through-cache actions. */
export function createEventPublisher(connection: Redis | Cluster, options: EventPublisherOptions): EventPublisher {
  const now = options.now ?? Date.now;
  const queue =
    options.webhookUrls.length > 0
      ? new Queue<EventJobData>(EVENT_QUEUE, { connection, prefix: options.prefix })
      : undefined;
  if (queue && options.onError) queue.on('error', options.onError);
  const publishAll = async (events: readonly PublishedEvent[]): Promise<EventBridgeEvent[]> => {
    const at = now();
    const envelopes = events.map((event) => eventEnvelope(event, options, at));
    if (!queue || envelopes.length === 0) return envelopes;
    await queue.addBulk(
      envelopes.flatMap((envelope) => {
        const body = JSON.stringify(envelope);
        return options.webhookUrls.map((url, i) => ({
          name: EVENT_JOB,
          data: { url, eventId: envelope.id, body },
          opts: { ...eventJobOptions, jobId: eventJobId(envelope.id, i) },
        }));
      }),
    );
    return envelopes;
  };
  return {
    publish: async (event) => (await publishAll([event]))[0]!,
    publishAll,
    close: async () => {
      await queue?.close();
    },
  };
}

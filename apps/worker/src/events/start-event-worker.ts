import { Queue, Worker } from 'bullmq';
import type { Cluster, Redis } from 'ioredis';
import { EVENT_QUEUE, eventBackoffMs, type EventJobData } from '@longshore/queue';
import type { Logger } from '@longshore/telemetry';
import { deliverEvent, type EventDeliveryDeps } from './deliver-event.js';

export interface EventWorkerOptions extends EventDeliveryDeps {
  connection: Redis | Cluster;
  prefix: string;
  /** EVENTS_RETRY_BASE_MS: the first retry delay. */
  retryBaseMs: number;
  log: Logger;
  onDelivered(): void;
  onFailedAttempt(): void;
  onError(err: Error, message: string): void;
}

/** Delivers the events queue: many receivers at once, each retried on its own. */
export function startEventWorker(options: EventWorkerOptions): { queue: Queue<EventJobData>; close(): Promise<void> } {
  const queue = new Queue<EventJobData>(EVENT_QUEUE, { connection: options.connection, prefix: options.prefix });
  queue.on('error', (err) => options.onError(err, 'events queue error'));
  const worker = new Worker<EventJobData>(EVENT_QUEUE, (job) => deliverEvent(job.data, job.timestamp, options), {
    connection: options.connection,
    prefix: options.prefix,
    concurrency: 16,
    settings: { backoffStrategy: (attemptsMade: number) => eventBackoffMs(attemptsMade, options.retryBaseMs) },
  });
  worker.on('completed', () => options.onDelivered());
  worker.on('failed', (job, err) => {
    options.onFailedAttempt();
    options.log.warn(
      { eventId: job?.data.eventId, url: job?.data.url, attempt: job?.attemptsMade, reason: err.message },
      'event delivery failed',
    );
  });
  worker.on('error', (err) => options.onError(err, 'event worker error'));
  return {
    queue,
    async close() {
      await worker.close();
      await queue.close();
    },
  };
}

import { Queue } from 'bullmq';
import type { Cluster, Redis } from 'ioredis';
import { EVENT_QUEUE, type EventJobData } from './events/event-job.js';

/**
 * The events queue as its consumer sees it (job counts for the metrics); publishers add to it
 * through createEventPublisher. `onError` receives the queue's connection errors.
 */
export function createEventQueue(
  connection: Redis | Cluster,
  prefix: string,
  onError?: (err: Error) => void,
): Queue<EventJobData> {
  const queue = new Queue<EventJobData>(EVENT_QUEUE, { connection, prefix });
  queue.on('error', (err) => onError?.(err));
  return queue;
}

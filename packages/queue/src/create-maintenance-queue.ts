import { Queue } from 'bullmq';
import type { Cluster, Redis } from 'ioredis';

/** The queue of the periodic jobs (lifecycle, garbage collection, purge) the workers share. */
export const MAINTENANCE_QUEUE = 'maintenance';

/** Completed and failed runs kept per job, for inspection. */
const KEPT_RUNS = 10;

export interface MaintenanceQueue {
  /**
   * Runs the job named `name` every `everyMs` across all workers (a BullMQ job scheduler: one
   * run per interval however many workers there are); `everyMs` 0 removes the schedule.
   */
  schedule(name: string, everyMs: number): Promise<void>;
  close(): Promise<void>;
}

/** `onError` receives the queue's connection errors (without it BullMQ prints them on stderr). */
export function createMaintenanceQueue(
  connection: Redis | Cluster,
  prefix: string,
  onError?: (err: Error) => void,
): MaintenanceQueue {
  const queue = new Queue(MAINTENANCE_QUEUE, { connection, prefix });
  queue.on('error', (err) => onError?.(err));
  return {
    async schedule(name, everyMs) {
      if (everyMs <= 0) {
        await queue.removeJobScheduler(name);
        return;
      }
      await queue.upsertJobScheduler(
        name,
        { every: everyMs },
        { name, opts: { removeOnComplete: KEPT_RUNS, removeOnFail: KEPT_RUNS } },
      );
    },
    close: () => queue.close(),
  };
}

import { createMaintenanceQueue, MAINTENANCE_QUEUE, PromptWorker } from '@longshore/queue';
import type { WorkerContext } from '../worker-context.js';
import type { RunningWorker } from './running-worker.js';

/** A periodic job of the maintenance queue. */
export interface MaintenanceJob {
  /** The job's name on the queue (also how `longshore gc run` asks for one run now). */
  readonly name: string;
  /** How often it runs across all workers; 0: never on a schedule (only when asked). */
  readonly everyMs: number;
  /** One run; what it resolves with is the job's result. */
  run(): Promise<unknown>;
}

/**
 * Schedules `jobs` (BullMQ job schedulers: one run per interval across all workers) and runs
 * them one at a time, so no two maintenance runs ever overlap in a process.
 */
export async function startMaintenanceWorker(
  context: WorkerContext,
  jobs: readonly MaintenanceJob[],
): Promise<RunningWorker> {
  const { config } = context;
  const queue = createMaintenanceQueue(context.redis, config.queuePrefix, context.onQueueError);
  for (const job of jobs) await queue.schedule(job.name, job.everyMs);
  const byName = new Map(jobs.map((job) => [job.name, job]));
  const worker = new PromptWorker(
    MAINTENANCE_QUEUE,
    async (job) => {
      const known = byName.get(job.name);
      if (known === undefined) throw new Error(`no maintenance job is named ${job.name}`);
      return known.run();
    },
    { connection: context.redis, prefix: config.queuePrefix, concurrency: 1 },
  );
  worker.on('error', (err) => context.onWorkerError(err, 'maintenance worker error'));
  return {
    async close() {
      await worker.close();
      await queue.close();
    },
  };
}

import { VERIFY_QUEUE, type VerifyPartJobData, PromptWorker } from '@longshore/queue';
import { verifyStoredPart } from '../finalize/verify-stored-part.js';
import type { WorkerContext } from '../worker-context.js';
import { finalizationDeps } from './finalize-worker.js';
import type { RunningWorker } from './running-worker.js';

/** Re-hashes stored parts in the background (VERIFY_MODE), one job per hash thread. */
export function startVerifyWorker(context: WorkerContext): RunningWorker {
  const deps = finalizationDeps(context);
  const worker = new PromptWorker<VerifyPartJobData>(VERIFY_QUEUE, (job) => verifyStoredPart(job.data, deps), {
    connection: context.redis,
    prefix: context.config.queuePrefix,
    concurrency: context.hashPool.threads,
  });
  worker.on('error', (err) => context.onWorkerError(err, 'verify worker error'));
  return { close: () => worker.close() };
}

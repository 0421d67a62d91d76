import { finalizeUpload } from '../finalize/finalize-upload.js';
import { holdFinalizeAt } from '../finalize/hold-finalize-at.js';
import { settleUpload } from '../finalize/settle-upload.js';
import type { WorkerContext } from '../worker-context.js';
import { finalizationDeps } from './finalization-deps.js';
import { consumeFinalizeJobs } from './finalize-worker.js';
import type { RunningWorker } from './running-worker.js';

export interface FinalizeRunningWorker extends RunningWorker {
  /** Resolves once it is connected and consuming. */
  waitUntilReady(): Promise<unknown>;
  isRunning(): boolean;
}

/** Finalizes uploads (WORKER_CONCURRENCY at once) and settles each outcome. */
export function startFinalizeWorker(context: WorkerContext): FinalizeRunningWorker {
  const { config, stores } = context;
  // Off in service; the worker-crash tests stop finalization at a named step (fault injection).
  const deps = holdFinalizeAt(config.testHoldFinalizeAt, finalizationDeps(context));
  const settleDeps = { uploads: stores.uploads, callbacks: context.queues.callbacks };
  const worker = consumeFinalizeJobs({
    connection: context.redis,
    prefix: config.queuePrefix,
    concurrency: config.workerConcurrency,
    lockMs: config.jobLockMs,
    finalize: (uploadId, jobLog) => finalizeUpload(uploadId, deps, jobLog),
    settle: (uploadId, outcome, jobLog) => settleUpload(uploadId, outcome, settleDeps, jobLog),
    metrics: context.metrics,
    log: context.log,
    onError: context.onWorkerError,
  });
  return {
    waitUntilReady: () => worker.waitUntilReady(),
    isRunning: () => worker.isRunning(),
    close: () => worker.close(),
  };
}

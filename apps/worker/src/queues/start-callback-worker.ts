import { CALLBACK_QUEUE, type CallbackJobData, PromptWorker } from '@longshore/queue';
import { deliverCallback } from '../callbacks/deliver-callback.js';
import type { WorkerContext } from '../worker-context.js';
import type { RunningWorker } from './running-worker.js';

/** Delivers the callbacks of finished uploads (CALLBACK_CONCURRENCY at once), each retried with backoff. */
export function startCallbackWorker(context: WorkerContext): RunningWorker {
  const { config, log } = context;
  const worker = new PromptWorker<CallbackJobData>(
    CALLBACK_QUEUE,
    (job) =>
      deliverCallback(job.data, job.id!, {
        uploads: context.stores.uploads,
        allowlist: config.callbackAllowlist,
        secret: config.callbackSecret ?? '',
        timeoutMs: config.callbackTimeoutMs,
      }),
    { connection: context.redis, prefix: config.queuePrefix, concurrency: config.callbackConcurrency },
  );
  worker.on('failed', (job, err) =>
    log.warn(
      { uploadId: job?.data.uploadId, jobId: job?.id, attempt: job?.attemptsMade, reason: err.message },
      'callback delivery failed',
    ),
  );
  worker.on('error', (err) => context.onWorkerError(err, 'callback worker error'));
  return { close: () => worker.close() };
}

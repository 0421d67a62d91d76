import { DelayedError, UnrecoverableError, Worker, type Job } from 'bullmq';
import type { Cluster, Redis } from 'ioredis';
import { ServerException, UploadNotFoundException } from '@longshore/domain';
import { FINALIZE_QUEUE, type FinalizeJobData, type FinalizeJobResult } from '@longshore/queue';
import { isStorageThrottled } from '@longshore/storage';
import type { Logger } from '@longshore/telemetry';
import type { FinalizeOutcome } from '../finalize/finalize-upload.js';
import type { SettledOutcome } from '../finalize/settle-upload.js';
import type { createWorkerMetrics } from '../metrics/worker-metrics.js';

export interface FinalizeWorkerDeps {
  connection: Redis | Cluster;
  prefix: string;
  concurrency: number;
  lockMs: number;
  finalize(uploadId: string, log: Logger): Promise<FinalizeOutcome>;
  settle(uploadId: string, outcome: SettledOutcome, log: Logger): Promise<void>;
  metrics: ReturnType<typeof createWorkerMetrics>;
  log: Logger;
  /** Where the worker's own errors go (a lost Redis connection is logged more quietly than a bug). */
  onError?(err: Error, message: string): void;
}

/**
 * The BullMQ adapter of finalization, and nothing more: runs `finalize` for each job, hands its
 * outcome to `settle`, and maps outcomes onto BullMQ — a permanent failure (or an upload that is
 * gone) becomes an UnrecoverableError, so it is not retried; a thrown error is retried with
 * backoff, and when the attempts run out the upload is settled as failed (ServerException).
 * A store that throttles (StorageThrottledError: it said SlowDown through every retry of the
 * driver) costs no attempt: the job is put back, delayed, as often as it takes, since the same
 * work succeeds once the store has caught up, and failing the upload would lose it.
 */
/** How long a throttled finalization waits before it runs again (plus up to as much jitter). */
const THROTTLED_RETRY_MS = 1000;

export function consumeFinalizeJobs(deps: FinalizeWorkerDeps): Worker<FinalizeJobData, FinalizeJobResult> {
  const { metrics, log } = deps;

  const processJob = async (
    job: Job<FinalizeJobData, FinalizeJobResult>,
    token?: string,
  ): Promise<FinalizeJobResult> => {
    const { uploadId } = job.data;
    const jobLog = log.child({ uploadId, jobId: job.id, attempt: job.attemptsMade + 1 });
    const stop = metrics.finalizeDuration.startTimer();
    let outcome: FinalizeOutcome;
    try {
      outcome = await deps.finalize(uploadId, jobLog);
      if (outcome.outcome !== 'gone') await deps.settle(uploadId, outcome, jobLog);
    } catch (err) {
      stop({ outcome: 'retry' });
      if (isStorageThrottled(err) && token !== undefined) {
        metrics.jobs.inc({ outcome: 'retry', error: 'StorageThrottledError' });
        jobLog.warn({ err }, 'the object store is throttling; finalization is delayed, not failed');
        await job.moveToDelayed(
          Date.now() + THROTTLED_RETRY_MS + Math.floor(Math.random() * THROTTLED_RETRY_MS),
          token,
        );
        throw new DelayedError();
      }
      metrics.jobs.inc({ outcome: 'retry', error: ServerException.name });
      jobLog.warn({ err }, 'finalize attempt failed; it will be retried');
      throw err;
    }
    switch (outcome.outcome) {
      case 'completed':
        stop({ outcome: 'completed' });
        metrics.jobs.inc({ outcome: 'completed', error: '' });
        return { outcome: 'completed', layerDigest: outcome.layerDigest, layerSize: outcome.layerSize };
      case 'failed':
        stop({ outcome: 'failed' });
        metrics.jobs.inc({ outcome: 'failed', error: outcome.error.name });
        throw new UnrecoverableError(outcome.error.message);
      default:
        stop({ outcome: 'failed' });
        metrics.jobs.inc({ outcome: 'failed', error: UploadNotFoundException.name });
        throw new UnrecoverableError(outcome.reason);
    }
  };

  const worker = new Worker<FinalizeJobData, FinalizeJobResult>(FINALIZE_QUEUE, processJob, {
    connection: deps.connection,
    prefix: deps.prefix,
    concurrency: deps.concurrency,
    // A dead worker's job is found by the next stall check after its lock expires: within
    // 1.5–2 × JOB_LOCK_MS. BullMQ renews the lock every half of it while the job runs.
    lockDuration: deps.lockMs,
    stalledInterval: Math.max(1000, Math.round(deps.lockMs / 2)),
    maxStalledCount: 2,
  });

  worker.on('failed', (job, err) => {
    // Permanent failures were settled by the processor itself.
    if (!job || err instanceof UnrecoverableError) return;
    const attempts = job.opts.attempts ?? 1;
    // (A job that stalled too often is failed by BullMQ's stall check, which emits no 'failed' here.)
    if (job.attemptsMade < attempts) {
      metrics.retries.inc();
      return;
    }
    // Out of attempts on a transient error: the client must hear about it, not wait forever.
    const error = new ServerException('Finalization failed repeatedly; push the layer again').toRecord();
    void deps
      .settle(job.data.uploadId, { outcome: 'failed', error }, log)
      .catch((e: unknown) => log.error({ err: e }, 'could not record failure'));
  });
  worker.on('stalled', (jobId) => {
    metrics.stalled.inc();
    log.warn({ jobId }, 'job stalled; another worker will take it');
  });
  worker.on('error', (err) => (deps.onError ? deps.onError(err, 'worker error') : log.error({ err }, 'worker error')));
  return worker;
}

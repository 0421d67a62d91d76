import { DelayedError, UnrecoverableError, type Job, type Worker } from 'bullmq';
import type { Cluster, Redis } from 'ioredis';
import { ServerException, UploadNotFoundException, wordRefusal, type RefusalRecord } from '@longshore/domain';
import {
  FINALIZE_QUEUE,
  createReplicaWait,
  uploadsOf,
  type FinalizeJobData,
  type FinalizeJobResult,
  type FinalizeUpload,
  type FinalizeUploadResult,
  PromptWorker,
} from '@longshore/queue';
import type { UploadStore } from '@longshore/metadata';
import { currentBootId, isStorageThrottled } from '@longshore/storage';
import type { Logger } from '@longshore/telemetry';
import { finalizeUpload, type FinalizeDeps, type FinalizeOutcome } from '../finalize/finalize-upload.js';
import { holdBatchMidway, holdFinalizeAt, type BatchPlace } from '../finalize/hold-finalize-at.js';
import { settleUpload, type SettledOutcome } from '../finalize/settle-upload.js';
import type { createWorkerMetrics } from '../metrics/worker-metrics.js';
import type { WorkerContext } from '../worker-context.js';
import { lazyChild } from './lazy-child-logger.js';
import type { RunningWorker } from './running-worker.js';

/** What finalizing an upload and verifying a stored part use, from the process's shared context. */
export function finalizationDeps(context: WorkerContext) {
  const { config, stores, storage, hashPool, metrics } = context;
  return {
    uploads: stores.uploads,
    layers: stores.layers,
    blobs: stores.blobs,
    finalizations: stores.finalizations,
    storage,
    hashPool,
    verifyMode: config.verifyMode,
    bootId: currentBootId(),
    onVerifiedBytes: (bytes: number) => metrics.verifiedBytes.inc(bytes),
    replicated: createReplicaWait(context.storeRedis, {
      replicas: config.redisWaitReplicas,
      timeoutMs: config.redisWaitTimeoutMs,
    }),
  } satisfies FinalizeDeps;
}

export interface FinalizeRunningWorker extends RunningWorker {
  /** Resolves once it is connected and consuming. */
  waitUntilReady(): Promise<unknown>;
  isRunning(): boolean;
}

/** Finalizes batches of uploads (WORKER_CONCURRENCY jobs at once) and settles each upload's outcome. */
export function startFinalizeWorker(context: WorkerContext): FinalizeRunningWorker {
  const { config, stores } = context;
  // Off in service; the worker-crash tests stop finalization at a named step (fault injection).
  const deps = holdFinalizeAt(config.testHoldFinalizeAt, finalizationDeps(context));
  const midway = config.testHoldFinalizeAt === 'mid-batch' ? holdBatchMidway(deps) : undefined;
  const settleDeps = { uploads: stores.uploads, callbacks: context.queues.callbacks };
  const worker = consumeFinalizeJobs({
    connection: context.redis,
    prefix: config.queuePrefix,
    concurrency: config.workerConcurrency,
    lockMs: config.jobLockMs,
    finalize: (upload, jobId, jobLog, place) =>
      finalizeUpload(
        upload.uploadId,
        { id: jobId, ...(upload.takeOver ? { takeOver: upload.takeOver } : {}) },
        midway ? midway.depsFor(place, upload.uploadId) : deps,
        jobLog,
      ),
    settle: async (uploadId, outcome, jobLog, place) => {
      await settleUpload(uploadId, outcome, settleDeps, jobLog);
      midway?.settled(place, uploadId);
    },
    uploads: stores.uploads,
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

export interface FinalizeWorkerDeps {
  connection: Redis | Cluster;
  prefix: string;
  concurrency: number;
  lockMs: number;
  /** Finalizes one upload of job `jobId`; `place` is where it stands in its batch. */
  finalize(upload: FinalizeUpload, jobId: string, log: Logger, place: BatchPlace): Promise<FinalizeOutcome>;
  settle(uploadId: string, outcome: SettledOutcome, log: Logger, place: BatchPlace): Promise<void>;
  /** Reads an upload (whose finalization a job gave up on). */
  uploads: Pick<UploadStore, 'get'>;
  metrics: ReturnType<typeof createWorkerMetrics>;
  log: Logger;
  /** Where the worker's own errors go (a lost Redis connection is logged more quietly than a bug). */
  onError?(err: Error, message: string): void;
}

/** How long a throttled finalization waits before it runs again (plus up to as much jitter). */
const THROTTLED_RETRY_MS = 1000;

/**
 * The BullMQ adapter of finalization, and nothing more. A job carries a batch of uploads (group
 * commit): their named steps run side by side, so the metadata scripts of one step go to Redis
 * in one pipelined round (the stores' connection pipelines; on a Cluster, per node) and their
 * fsyncs are issued together, not one after another. Each upload's outcome is its own: a
 * permanent failure (a digest mismatch) is settled as failed for that upload only, and one that
 * is gone (or finalized by another job) is skipped.
 *
 * A thrown error retries the whole job with backoff, after the uploads that finished are
 * settled; the retry finds those finished (the startFinalizing script answers their status
 * without announcing anything), re-settles them (a no-op: the first outcome recorded wins) and
 * goes on with the rest. When the attempts run out, what is left is settled as failed
 * (ServerException). A store that throttles (StorageThrottledError) costs no attempt: the job is
 * put back, delayed, as often as it takes, since the same work succeeds once the store has
 * caught up, and failing the uploads would lose them.
 */
export function consumeFinalizeJobs(deps: FinalizeWorkerDeps): Worker<FinalizeJobData, FinalizeJobResult> {
  const { metrics, log } = deps;

  const finalizeOne = async (
    upload: FinalizeUpload,
    job: Job<FinalizeJobData, FinalizeJobResult>,
    place: BatchPlace,
  ): Promise<FinalizeUploadResult> => {
    const { uploadId } = upload;
    const jobLog = lazyChild(log, { uploadId, jobId: job.id, attempt: job.attemptsMade + 1 });
    const stop = metrics.finalizeDuration.startTimer();
    let outcome: FinalizeOutcome;
    try {
      outcome = await deps.finalize(upload, job.id!, jobLog, place);
      if (outcome.outcome !== 'gone') await deps.settle(uploadId, outcome, jobLog, place);
    } catch (err) {
      stop({ outcome: 'retry' });
      const throttled = isStorageThrottled(err);
      metrics.jobs.inc({ outcome: 'retry', error: throttled ? 'StorageThrottledError' : ServerException.name });
      if (throttled) jobLog.warn({ err }, 'the object store is throttling; finalization is delayed, not failed');
      else jobLog.warn({ err }, 'finalize attempt failed; it will be retried');
      throw err;
    }
    switch (outcome.outcome) {
      case 'completed':
        stop({ outcome: 'completed' });
        metrics.jobs.inc({ outcome: 'completed', error: '' });
        return { uploadId, outcome: 'completed', layerDigest: outcome.layerDigest, layerSize: outcome.layerSize };
      case 'failed':
        stop({ outcome: 'failed' });
        metrics.jobs.inc({ outcome: 'failed', error: wordRefusal(outcome.error.code).name });
        return { uploadId, outcome: 'failed', error: outcome.error };
      default:
        // An upload another job finalizes is counted there.
        if (!outcome.elsewhere) {
          stop({ outcome: 'failed' });
          metrics.jobs.inc({ outcome: 'failed', error: UploadNotFoundException.name });
        }
        jobLog.info({ reason: outcome.reason }, 'nothing to finalize');
        return { uploadId, outcome: 'gone', reason: outcome.reason, ...(outcome.elsewhere ? { elsewhere: true } : {}) };
    }
  };

  const processJob = async (
    job: Job<FinalizeJobData, FinalizeJobResult>,
    token?: string,
  ): Promise<FinalizeJobResult> => {
    const uploads = distinct(uploadsOf(job.data));
    metrics.batchSize.observe(uploads.length);
    const ran = await Promise.allSettled(
      uploads.map((upload, index) => finalizeOne(upload, job, { jobId: job.id!, index, of: uploads.length })),
    );
    const errors = ran.flatMap((r) => (r.status === 'rejected' ? [r.reason as unknown] : []));
    if (errors.length === 0) {
      const results = ran.map((r) => (r as PromiseFulfilledResult<FinalizeUploadResult>).value);
      // A job none of whose uploads completed is failed in BullMQ (as a lone upload's job always
      // was), without a retry: each upload's outcome is settled already. An upload another job
      // finalizes is no failure of this one.
      const failures = results.flatMap((r) =>
        r.outcome === 'failed' ? [r.error.code] : r.outcome === 'gone' && !r.elsewhere ? [r.reason] : [],
      );
      if (failures.length === results.length) throw new UnrecoverableError(failures.join('; '));
      return { uploads: results };
    }
    if (token !== undefined && errors.some(isStorageThrottled)) {
      await job.moveToDelayed(Date.now() + THROTTLED_RETRY_MS + Math.floor(Math.random() * THROTTLED_RETRY_MS), token);
      throw new DelayedError();
    }
    throw errors[0];
  };

  const worker = new PromptWorker<FinalizeJobData, FinalizeJobResult>(FINALIZE_QUEUE, processJob, {
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
    if (!job || err instanceof UnrecoverableError) return;
    const attempts = job.opts.attempts ?? 1;
    // (A job that stalled too often is failed by BullMQ's stall check, which emits no 'failed' here.)
    if (job.attemptsMade < attempts) {
      metrics.retries.inc();
      return;
    }
    // Out of attempts on a transient error: the clients must hear about it, not wait forever.
    // Uploads of the job that finished keep their outcome (the first one recorded wins); one that
    // another job took up is that job's to settle.
    const error: RefusalRecord = { code: 'FINALIZE_FAILED' };
    for (const { uploadId } of uploadsOf(job.data)) {
      const fail = async () => {
        const record = await deps.uploads.get(uploadId);
        if (record?.finalizingJob !== undefined && record.finalizingJob !== job.id) return;
        await deps.settle(uploadId, { outcome: 'failed', error }, log, { jobId: job.id!, index: -1, of: 0 });
      };
      fail().catch((e: unknown) => log.error({ err: e, uploadId }, 'could not record failure'));
    }
  });
  worker.on('stalled', (jobId) => {
    metrics.stalled.inc();
    log.warn({ jobId }, 'job stalled; another worker will take it');
  });
  worker.on('error', (err) => (deps.onError ? deps.onError(err, 'worker error') : log.error({ err }, 'worker error')));
  return worker;
}

/** A job's uploads, each once. */
function distinct(uploads: FinalizeUpload[]): FinalizeUpload[] {
  const seen = new Set<string>();
  return uploads.filter((upload) => !seen.has(upload.uploadId) && seen.add(upload.uploadId));
}

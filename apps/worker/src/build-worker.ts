import { randomUUID } from 'node:crypto';
import type http from 'node:http';
import { Queue, Worker, UnrecoverableError, type Job } from 'bullmq';
import type { Config } from '@longshore/config';
import { ServerException } from '@longshore/domain';
import { createHashPool } from '@longshore/digest';
import { createStores } from '@longshore/metadata';
import {
  CALLBACK_JOB,
  CALLBACK_QUEUE,
  VERIFY_QUEUE,
  FINALIZE_QUEUE,
  callbackJobId,
  callbackJobOptions,
  createFinalizeQueue,
  checkRedisDurability,
  createRedisConnection,
  isRedisConnectionError,
  type CallbackJobData,
  type VerifyPartJobData,
  type FinalizeJobData,
  type FinalizeJobResult,
} from '@longshore/queue';
import { createFilesystemDriver } from '@longshore/storage';
import { createMetricsRegistry, type Logger } from '@longshore/telemetry';
import { deliverCallback } from './callbacks/deliver-callback.js';
import { finalizeUpload } from './finalize/finalize-upload.js';
import { verifyStoredPart } from './finalize/verify-stored-part.js';
import { purgeAbandonedUploads } from './maintenance/purge-abandoned-uploads.js';
import { startMetricsServer } from './metrics/metrics-server.js';
import { createWorkerMetrics } from './metrics/worker-metrics.js';

export interface FinalizeWorker {
  metricsServer: http.Server;
  /** Stops taking jobs, lets active ones finish, and closes every connection. */
  close(): Promise<void>;
}

const HEARTBEAT_MS = 5_000;

/** The composition root of a worker process. */
export async function buildWorker(config: Config, log: Logger): Promise<FinalizeWorker> {
  if (!config.redisUrl) throw new Error('REDIS_URL is required to run a worker (npm start provides one)');
  const workerId = randomUUID();
  // BullMQ's rule for worker connections: never give up on a command (maxRetriesPerRequest null);
  // they wait for Redis to come back. Losing and regaining it goes to the log once per outage.
  const redis = createRedisConnection(config.redisUrl, { name: 'worker', blocking: true, log });
  const queueError = (err: Error) => log.debug({ err }, 'queue connection error');
  const workerError = (err: Error, message: string) =>
    isRedisConnectionError(err) ? log.debug({ err }, message) : log.error({ err }, message);
  const storage = createFilesystemDriver({ rootDir: config.storageDir });
  const hashPool = createHashPool(config.hashThreads);
  const { uploads, layers, workers: registry } = createStores(redis, config.queuePrefix, config);
  const queue = createFinalizeQueue(
    redis,
    config.queuePrefix,
    { attempts: config.finalizeAttempts, backoffMs: config.finalizeBackoffMs },
    queueError,
  );

  const metricsRegistry = createMetricsRegistry('worker');
  const metrics = createWorkerMetrics(metricsRegistry, {
    hashPoolUtilization: () => hashPool.utilization(),
    queueCounts: () => queue.queue.getJobCounts('waiting', 'active', 'delayed', 'failed', 'completed'),
  });
  metrics.hashThreads.set(hashPool.threads);

  const deps = {
    uploads,
    layers,
    storage,
    hashPool,
    verifyMode: config.verifyMode,
    onVerifiedBytes: (bytes: number) => metrics.verifiedBytes.inc(bytes),
  };

  const callbacks = new Queue<CallbackJobData>(CALLBACK_QUEUE, { connection: redis, prefix: config.queuePrefix });
  callbacks.on('error', queueError);
  /**
   * Notification as a decorator around finalization: once the upload's outcome is recorded, its
   * callback (if any) is queued for delivery. A failure here is logged and never fails the upload.
   */
  const notifyFinished = async (uploadId: string, jobLog: Logger) => {
    try {
      const record = await uploads.get(uploadId);
      if (!record?.callbackUrl || (record.status !== 'completed' && record.status !== 'failed')) return;
      await callbacks.add(
        CALLBACK_JOB,
        { uploadId, url: record.callbackUrl },
        {
          ...callbackJobOptions({ attempts: config.callbackAttempts, backoffMs: config.callbackBackoffMs }),
          jobId: callbackJobId(uploadId),
        },
      );
    } catch (err) {
      jobLog.error({ err }, 'could not queue the upload callback');
    }
  };

  const processJob = async (job: Job<FinalizeJobData, FinalizeJobResult>) => {
    const jobLog = log.child({ uploadId: job.data.uploadId, jobId: job.id, attempt: job.attemptsMade + 1 });
    const stop = metrics.finalizeDuration.startTimer();
    try {
      const result = await finalizeUpload(job.data, deps, jobLog);
      await notifyFinished(job.data.uploadId, jobLog);
      stop({ outcome: result.outcome });
      metrics.jobs.inc({ outcome: result.outcome, error: result.outcome === 'failed' ? result.error.name : '' });
      return result;
    } catch (err) {
      const permanent = err instanceof UnrecoverableError;
      if (permanent) await notifyFinished(job.data.uploadId, jobLog);
      stop({ outcome: permanent ? 'failed' : 'retry' });
      metrics.jobs.inc({
        outcome: permanent ? 'failed' : 'retry',
        error: permanent ? err.message.split(':')[0]! : 'ServerException',
      });
      if (!permanent) jobLog.warn({ err }, 'finalize attempt failed; it will be retried');
      throw err;
    }
  };

  const worker = new Worker<FinalizeJobData, FinalizeJobResult>(FINALIZE_QUEUE, processJob, {
    connection: redis,
    prefix: config.queuePrefix,
    concurrency: config.workerConcurrency,
    // A dead worker's job is found by the next stall check after its lock expires: within
    // 1.5–2 × JOB_LOCK_MS. BullMQ renews the lock every half of it while the job runs.
    lockDuration: config.jobLockMs,
    stalledInterval: Math.max(1000, Math.round(config.jobLockMs / 2)),
    maxStalledCount: 2,
  });

  worker.on('failed', (job, err) => {
    // Permanent failures were recorded (and notified) by the processor itself.
    if (!job || err instanceof UnrecoverableError) return;
    const attempts = job.opts.attempts ?? 1;
    const final = job.attemptsMade >= attempts || /stalled/i.test(err.message);
    if (!final) {
      metrics.retries.inc();
      return;
    }
    // Out of attempts on a transient error: the client must hear about it, not wait forever.
    const error = new ServerException('Finalization failed repeatedly; push the layer again');
    void uploads
      .recordFailed(job.data.uploadId, error.toRecord())
      .then(() => notifyFinished(job.data.uploadId, log))
      .catch((e: unknown) => log.error({ err: e }, 'could not record failure'));
  });

  const callbackWorker = new Worker<CallbackJobData>(
    CALLBACK_QUEUE,
    (job) =>
      deliverCallback(job.data, job.id!, {
        uploads,
        allowlist: config.callbackAllowlist,
        secret: config.callbackSecret ?? '',
        timeoutMs: config.callbackTimeoutMs,
      }),
    { connection: redis, prefix: config.queuePrefix, concurrency: 16 },
  );
  callbackWorker.on('failed', (job, err) =>
    log.warn(
      { uploadId: job?.data.uploadId, jobId: job?.id, attempt: job?.attemptsMade, reason: err.message },
      'callback delivery failed',
    ),
  );
  callbackWorker.on('error', (err) => workerError(err, 'callback worker error'));

  const verifyWorker = new Worker<VerifyPartJobData>(VERIFY_QUEUE, (job) => verifyStoredPart(job.data, deps), {
    connection: redis,
    prefix: config.queuePrefix,
    concurrency: hashPool.threads,
  });
  verifyWorker.on('error', (err) => workerError(err, 'verify worker error'));

  // Maintenance runs as a BullMQ job scheduler: one run per interval across all workers.
  const maintenance = new Queue('maintenance', { connection: redis, prefix: config.queuePrefix });
  maintenance.on('error', queueError);
  await maintenance.upsertJobScheduler(
    'purge-abandoned-uploads',
    { every: config.purgeIntervalMs },
    {
      name: 'purge-abandoned-uploads',
      opts: { removeOnComplete: 10, removeOnFail: 10 },
    },
  );
  const maintenanceWorker = new Worker(
    'maintenance',
    async () => {
      const purged = await purgeAbandonedUploads({ storage, uploads }, 3600_000);
      if (purged.length > 0) log.info({ purged: purged.length }, 'removed the bytes of abandoned uploads');
      return purged.length;
    },
    { connection: redis, prefix: config.queuePrefix, concurrency: 1 },
  );
  maintenanceWorker.on('error', (err) => workerError(err, 'maintenance worker error'));
  worker.on('stalled', (jobId) => {
    metrics.stalled.inc();
    log.warn({ jobId }, 'job stalled; another worker will take it');
  });
  worker.on('error', (err) => workerError(err, 'worker error'));

  await registry.heartbeat(workerId);
  const heartbeat = setInterval(() => void registry.heartbeat(workerId).catch(() => undefined), HEARTBEAT_MS);
  const metricsServer = await startMetricsServer(metricsRegistry, config.metricsPort, config.host);
  await worker.waitUntilReady();
  void checkRedisDurability(redis, log);
  log.info(
    { workerId, concurrency: config.workerConcurrency, hashThreads: hashPool.threads },
    'worker consuming the finalize queue',
  );

  return {
    metricsServer,
    async close() {
      clearInterval(heartbeat);
      await Promise.all([worker.close(), callbackWorker.close(), verifyWorker.close(), maintenanceWorker.close()]);
      await maintenance.close();
      await callbacks.close();
      await registry.remove(workerId).catch(() => undefined);
      await hashPool.close();
      await queue.close();
      metricsServer.close();
      await redis.quit().catch(() => undefined);
    },
  };
}

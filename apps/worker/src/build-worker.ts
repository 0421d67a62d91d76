import { randomUUID } from 'node:crypto';
import { Queue, Worker } from 'bullmq';
import { createClock, type Config } from '@longshore/config';
import { createHashPool } from '@longshore/digest';
import { createStores } from '@longshore/metadata';
import {
  CALLBACK_QUEUE,
  VERIFY_QUEUE,
  createFinalizeQueue,
  checkRedisDurability,
  checkRedis,
  createRedisConnection,
  createReplicaWait,
  createEventPublisher,
  imageEventChanges,
  isRedisConnectionError,
  type CallbackJobData,
  type VerifyPartJobData,
} from '@longshore/queue';
import { checkStorage, createConfiguredStorageDriver } from '@longshore/storage';
import type { Registry } from 'prom-client';
import { createMetricsRegistry, startOpsServer, type Logger } from '@longshore/telemetry';
import { createCallbackQueue } from './callbacks/create-callback-queue.js';
import { deliverCallback } from './callbacks/deliver-callback.js';
import { startEventWorker } from './events/start-event-worker.js';
import { applyLifecyclePolicies } from './lifecycle/apply-lifecycle-policies.js';
import { finalizeUpload } from './finalize/finalize-upload.js';
import { holdFinalizeAt } from './finalize/hold-finalize-at.js';
import { settleUpload } from './finalize/settle-upload.js';
import { verifyStoredPart } from './finalize/verify-stored-part.js';
import { collectGarbage } from './maintenance/collect-garbage.js';
import { holdGcAt } from './maintenance/hold-gc-at.js';
import { purgeAbandonedUploads } from './maintenance/purge-abandoned-uploads.js';
import { createWorkerMetrics } from './metrics/worker-metrics.js';
import { startFinalizeWorker } from './queues/finalize-worker.js';

export interface FinalizeWorker {
  /** The port of its operations listener (METRICS_PORT): /metrics, /healthz, /readyz. */
  metricsPort: number;
  metricsRegistry: Registry;
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
  // The metadata commands of concurrent jobs share writes (auto-pipelining); they wait for Redis
  // like BullMQ's, but never block, so they get a connection of their own.
  const storeRedis = createRedisConnection(config.redisUrl, {
    name: 'worker-stores',
    blocking: true,
    pipelined: true,
    log,
  });
  const queueError = (err: Error) => log.debug({ err }, 'queue connection error');
  const workerError = (err: Error, message: string) =>
    isRedisConnectionError(err) ? log.debug({ err }, message) : log.error({ err }, message);
  const storage = createConfiguredStorageDriver(config);
  const hashPool = createHashPool(config.hashThreads);
  const clock = createClock(config.clockOffsetFile);
  const where = { account: config.registryId, region: config.region };
  // Lifecycle expiry publishes its DELETE events like the API's deletes do.
  const publisher = createEventPublisher(redis, {
    prefix: config.queuePrefix,
    webhookUrls: config.eventsWebhookUrls,
    ...where,
    onError: queueError,
  });
  const {
    uploads,
    layers,
    blobs,
    blobReferences,
    workers: registry,
    repositories,
    images,
    lifecycle,
  } = createStores(storeRedis, config.queuePrefix, config, storage, {
    imageChanges: imageEventChanges(publisher, where, (err) =>
      log.error({ err }, 'an image event could not be queued'),
    ),
  });
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
    eventCounts: () => events.queue.getJobCounts('waiting', 'active', 'delayed', 'failed'),
    oldestWaiting: async () => {
      const entries = await Promise.all(
        [queue.queue, events.queue].map(async (q) => [q.name, (await q.getWaiting(0, 0))[0]?.timestamp] as const),
      );
      return Object.fromEntries(entries);
    },
    storedBlobBytes: () => blobs.storedBytes(),
  });
  const events = startEventWorker({
    connection: redis,
    prefix: config.queuePrefix,
    secret: config.eventsWebhookSecret,
    retryMs: config.eventsRetryHours * 3_600_000,
    retryBaseMs: config.eventsRetryBaseMs,
    timeoutMs: config.callbackTimeoutMs,
    now: Date.now,
    log,
    onDelivered: () => metrics.eventsDelivered.inc(),
    onFailedAttempt: () => metrics.eventAttemptsFailed.inc(),
    onError: workerError,
  });
  metrics.hashThreads.set(hashPool.threads);

  const deps = {
    uploads,
    layers,
    blobs,
    storage,
    hashPool,
    verifyMode: config.verifyMode,
    onVerifiedBytes: (bytes: number) => metrics.verifiedBytes.inc(bytes),
    replicated: createReplicaWait(storeRedis, {
      replicas: config.redisWaitReplicas,
      timeoutMs: config.redisWaitTimeoutMs,
    }),
  };

  // Off in service; the worker-crash tests stop finalization at a named step (fault injection).
  const finalizeDeps = holdFinalizeAt(config.testHoldFinalizeAt, deps);

  const callbacks = createCallbackQueue(
    redis,
    config.queuePrefix,
    {
      attempts: config.callbackAttempts,
      backoffMs: config.callbackBackoffMs,
    },
    queueError,
  );
  const worker = startFinalizeWorker({
    connection: redis,
    prefix: config.queuePrefix,
    concurrency: config.workerConcurrency,
    lockMs: config.jobLockMs,
    finalize: (uploadId, jobLog) => finalizeUpload(uploadId, finalizeDeps, jobLog),
    settle: (uploadId, outcome, jobLog) => settleUpload(uploadId, outcome, { uploads, callbacks }, jobLog),
    metrics,
    log,
    onError: workerError,
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
  await maintenance.upsertJobScheduler(
    'apply-lifecycle-policies',
    { every: config.lifecycleIntervalSeconds * 1000 },
    { name: 'apply-lifecycle-policies', opts: { removeOnComplete: 10, removeOnFail: 10 } },
  );
  const lifecycleDeps = { repositories, images, lifecycle, now: clock, log };
  if (config.gcIntervalMs > 0) {
    await maintenance.upsertJobScheduler(
      'collect-garbage',
      { every: config.gcIntervalMs },
      { name: 'collect-garbage', opts: { removeOnComplete: 10, removeOnFail: 10 } },
    );
  } else {
    await maintenance.removeJobScheduler('collect-garbage');
  }
  const gcHold = holdGcAt(config.testHoldGcAt);
  const gcDeps = {
    blobs,
    references: blobReferences,
    layers,
    storage,
    graceMs: config.gcGraceSeconds * 1000,
    layerLinkGraceMs: config.gcLayerLinkGraceSeconds * 1000,
    now: clock,
    ...(gcHold ? { beforeSweep: gcHold } : {}),
    onDeleted: (bytes: number) => {
      metrics.gcDeletedBlobs.inc({ driver: storage.name });
      metrics.gcReclaimedBytes.inc({ driver: storage.name }, bytes);
    },
  };
  const maintenanceWorker = new Worker(
    'maintenance',
    async (job) => {
      if (job.name === 'apply-lifecycle-policies') {
        const evaluations = await applyLifecyclePolicies(lifecycleDeps);
        const expired = evaluations.reduce((n, e) => n + e.expired, 0);
        if (expired > 0) log.info({ expired, repositories: evaluations.length }, 'lifecycle policies expired images');
        return evaluations;
      }
      if (job.name === 'collect-garbage') {
        const report = await collectGarbage(gcDeps);
        if (report.deleted > 0) log.info(report, 'garbage-collected unreferenced blobs');
        return report;
      }
      const purged = await purgeAbandonedUploads({ storage, uploads }, 3600_000);
      if (purged.length > 0) log.info({ purged: purged.length }, 'removed the bytes of abandoned uploads');
      return purged.length;
    },
    { connection: redis, prefix: config.queuePrefix, concurrency: 1 },
  );
  maintenanceWorker.on('error', (err) => workerError(err, 'maintenance worker error'));

  await registry.heartbeat(workerId);
  const heartbeat = setInterval(() => void registry.heartbeat(workerId).catch(() => undefined), HEARTBEAT_MS);
  await worker.waitUntilReady();
  const ops = await startOpsServer({
    port: config.metricsPort,
    host: config.metricsHost,
    settings: 'METRICS_PORT (and METRICS_HOST)',
    metrics: async () => ({ contentType: metricsRegistry.contentType, body: await metricsRegistry.metrics() }),
    readiness: [
      { name: 'redis', check: () => checkRedis(redis) },
      {
        name: 'finalize-queue',
        check: async () => {
          if (!worker.isRunning()) throw new Error('the finalize worker is not consuming its queue');
        },
      },
      { name: 'storage', check: () => checkStorage(storage) },
    ],
  });
  void checkRedisDurability(redis, log);
  log.info(
    { workerId, concurrency: config.workerConcurrency, hashThreads: hashPool.threads },
    'worker consuming the finalize queue',
  );

  return {
    metricsPort: ops.port,
    metricsRegistry,
    async close() {
      clearInterval(heartbeat);
      await Promise.all([
        worker.close(),
        callbackWorker.close(),
        verifyWorker.close(),
        maintenanceWorker.close(),
        events.close(),
      ]);
      await maintenance.close();
      await callbacks.close();
      await publisher.close();
      await registry.remove(workerId).catch(() => undefined);
      await hashPool.close();
      await queue.close();
      ops.server.close();
      await Promise.all([redis.quit().catch(() => undefined), storeRedis.quit().catch(() => undefined)]);
    },
  };
}

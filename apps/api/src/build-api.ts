import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import type { Express, Request } from 'express';
import {
  AuthFailureLimiter,
  ConsoleSessions,
  CredentialSet,
  KeyGenerations,
  LoginTokens,
  PageTokens,
  Permissions,
  RequestQuota,
} from '@longshore/auth';
import { createClock, type Config } from '@longshore/config';
import { UnsupportedOperationError } from '@longshore/domain';
import { createStores, HEARTBEAT_MS, sharedSecret, WORKER_ALIVE_MS, WorkerRegistry } from '@longshore/metadata';
import {
  CompletionWaiter,
  createFinalizeBatcher,
  createFinalizeQueue,
  createRedisConnection,
  createVerifyQueue,
  createEventPublisher,
  imageEventChanges,
  checkRedis,
  redisReady,
} from '@longshore/queue';
import { checkStorage, createConfiguredStorageDriver } from '@longshore/storage';
import { createHashPool } from '@longshore/digest';
import type { Registry } from 'prom-client';
import { createAuditLog, createMetricsRegistry, type Logger, type ReadinessCheck } from '@longshore/telemetry';
import { RequestAudit } from './audit/request-audit.js';
import { AuthGate } from './auth/auth-gate.js';
import { LiveCredentials } from './auth/live-credentials.js';
import { registryBasicAuth } from './auth/registry-basic-auth.js';
import { createApp } from './create-app.js';
import { createConsoleRouter } from './console/console-router.js';
import { createDownloadRouter } from './downloads/download-router.js';
import { DownloadUrlSigner } from './downloads/download-url-signer.js';
import { createEcrRouter } from './ecr/ecr-router.js';
import { createOperations } from './ecr/operations/index.js';
import { sendError } from './errors/send-error.js';
import { wireOf } from './errors/wire-of.js';
import { createHealthRouter } from './health/health-router.js';
import { ImageService } from './images/image-service.js';
import { createPublicBaseUrl } from './http/public-base-url.js';
import { rejectMalformedHost } from './http/reject-malformed-host.js';
import { LayerService } from './layers/layer-service.js';
import { LifecycleService } from './lifecycle/lifecycle-service.js';
import { BlobUploads } from './uploads/blob-uploads.js';
import { ImageOverview } from './overview/image-overview.js';
import { OperationsOverview } from './overview/operations-overview.js';
import { RepositoryOverview } from './overview/repository-overview.js';
import { createApiMetrics } from './metrics/api-metrics.js';
import { PullRecorder } from './images/pull-recorder.js';
import { FetchLease } from './pull-through/fetch-lease.js';
import { PullThroughCache } from './pull-through/pull-through-cache.js';
import { publishedPullThroughEvents } from './pull-through/pull-through-events.js';
import { createPullThroughMetrics } from './pull-through/pull-through-metrics.js';
import { PullThroughRuleStore } from './pull-through/pull-through-rule-store.js';
import { PullThroughRules } from './pull-through/pull-through-rules.js';
import { TagFreshness } from './pull-through/tag-freshness.js';
import { UpstreamCredentials } from './pull-through/upstream-credentials.js';
import { UpstreamRegistry } from './pull-through/upstream-registry.js';
import { withPullThrough } from './pull-through/with-pull-through.js';
import { RepositoryService } from './repositories/repository-service.js';
import { UploadService } from './uploads/upload-service.js';
import { createV1Router } from './v1/v1-router.js';
import { createV2Routes } from './v2/create-v2-routes.js';
import { createV2Router } from './v2/v2-router.js';

export interface Api {
  app: Express;
  /** This process's metrics: served on METRICS_PORT, never on the API port. */
  metricsRegistry: Registry;
  /** What /readyz checks (on the API port and on METRICS_PORT). */
  readiness: ReadinessCheck[];
  /** Answers every pending wait (completions, long polls) with the status as it stands. */
  endWaits(): Promise<void>;
  /** Releases the pools and connections; call after the server has finished its requests. */
  close(): Promise<void>;
}

/** The composition root: builds every part of the API from the configuration, once. */
export async function buildApi(config: Config, log: Logger): Promise<Api> {
  if (!config.redisUrl) throw new Error('REDIS_URL is required to run the API (npm start provides one)');
  // Requests fail fast with a retryable error while Redis is gone, instead of queueing behind a dead connection.
  const redis = createRedisConnection(config.redisUrl, { name: 'api', failFast: true, log });
  const subscriber = createRedisConnection(config.redisUrl, { name: 'api-events', blocking: true, log });
  // BullMQ's queues get a connection of their own: BullMQ defines its ~60 scripts on the client it is
  // given, and ioredis copies every defined script into each auto-pipelined batch, one per command
  // of the sequential hot path (about twice the CPU of a plain command).
  const queueRedis = createRedisConnection(config.redisUrl, { name: 'api-queues', failFast: true, log });
  await Promise.all([redisReady(redis), redisReady(queueRedis)]);
  const queueError = (err: Error) => log.debug({ err }, 'queue connection error');
  const storage = await createConfiguredStorageDriver(config);
  const hashPool = createHashPool(config.hashThreads);
  const where = { account: config.registryId, region: config.region };
  const events = createEventPublisher(queueRedis, {
    prefix: config.queuePrefix,
    webhookUrls: config.eventsWebhookUrls,
    ...where,
    onError: queueError,
  });
  const eventError = (err: unknown) => log.error({ err }, 'an image event could not be queued');
  const {
    keys,
    repositories: repositoryStore,
    uploads: uploadStore,
    layers: layerStore,
    images: imageStore,
    blobs,
    blobReferences,
    workers,
    lifecycle,
    mirror,
  } = createStores(redis, config.queuePrefix, config, storage, {
    imageChanges: imageEventChanges(events, where, eventError),
  });
  const queue = createFinalizeQueue(
    queueRedis,
    config.queuePrefix,
    {
      attempts: config.finalizeAttempts,
      backoffMs: config.finalizeBackoffMs,
    },
    queueError,
  );
  const verifyQueue = createVerifyQueue(queueRedis, config.queuePrefix, queueError);
  const waiter = new CompletionWaiter(subscriber, uploadStore, keys, config.statusPollMs);
  // Group commit: this process's completions go to the workers in batches (docs/architecture.md).
  const batcher = createFinalizeBatcher(
    queue,
    waiter,
    {
      maxUploads: config.finalizeBatchMaxUploads,
      maxWaitMs: config.finalizeBatchMaxWaitMs,
      maxInFlight: config.finalizeBatchMaxInFlight,
    },
    config.completeWaitMs,
  );

  const auditLog = createAuditLog(config.auditLog);
  const audit = new RequestAudit(auditLog);
  const metricsRegistry = createMetricsRegistry('api');
  const metrics = createApiMetrics(metricsRegistry, { inflightWaits: () => waiter.size });

  const repositories = new RepositoryService({
    repositories: repositoryStore,
    registryId: config.registryId,
    storageName: storage.name,
  });
  const layers = new LayerService({ layers: layerStore, blobs });
  const images = new ImageService({
    repositories,
    repositoryStore,
    images: imageStore,
    layers: layerStore,
    blobs,
    blobReferences,
    registryId: config.registryId,
    createRepositoryOnPush: config.createRepositoryOnPush,
    pulls: new PullRecorder({
      images: imageStore,
      intervalMs: config.pullRecordIntervalSeconds * 1000,
      now: createClock(config.clockOffsetFile),
      written: () => metrics.pullsRecorded.inc(),
      failed: (err) => log.warn({ err }, 'recording a manifest pull failed'),
    }),
  });
  const uploads = new UploadService({
    repositories,
    uploads: uploadStore,
    storage,
    hashPool,
    queue,
    batcher,
    verifyQueue,
    backgroundVerifyMinBytes: config.backgroundVerifyMinBytes,
    waiter,
    completeWaitMs: config.completeWaitMs,
    maxLayerSize: config.maxLayerSize,
    bodyDeadlines: { idleMs: config.partIdleTimeoutMs, maxMs: config.partMaxDurationMs },
    events: {
      started: () => metrics.uploadsStarted.inc(),
      bytesReceived: (bytes) => metrics.receivedBytes.inc(bytes),
      finished: (outcome) =>
        outcome === 'ok' ? metrics.uploadsCompleted.inc() : metrics.uploadsFailed.inc({ error: outcome }),
    },
  });
  // Pull-through cache rules and the cache in front of the /v2 reads (docs/pull-through-cache.md).
  const keyPrefix = config.queuePrefix.replace(/^\{(.*)\}$/, '$1');
  const upstreamCredentials = UpstreamCredentials.load(config.upstreamCredentialsFile);
  const upstream = new UpstreamRegistry({ timeoutMs: config.pullThroughUpstreamTimeoutMs });
  const pullThroughRuleStore = new PullThroughRuleStore(redis, keys.pullThroughRules, mirror);
  const pullThroughRules = new PullThroughRules({
    store: pullThroughRuleStore,
    credentials: upstreamCredentials,
    upstream,
    registryId: config.registryId,
  });
  // With S3 storage, blob GETs redirect to a presigned URL of the store (S3_REDIRECT_DOWNLOADS).
  const delivery =
    config.storage === 's3' && config.s3RedirectDownloads ? { redirectSeconds: config.downloadUrlTtlSeconds } : {};
  const pullThrough = new PullThroughCache({
    rules: pullThroughRuleStore,
    credentials: upstreamCredentials,
    upstream,
    images,
    repositories,
    layers: layerStore,
    blobs,
    storage,
    lease: new FetchLease(redis, keyPrefix),
    freshness: new TagFreshness(redis, keyPrefix, config.pullThroughTagTtlSeconds),
    metrics: createPullThroughMetrics(metricsRegistry),
    events: publishedPullThroughEvents(events, where, eventError),
    registryId: config.registryId,
    delivery,
    log,
  });
  const signer = new DownloadUrlSigner(
    config.urlSigningSecret ?? (await sharedSecret(redis, keys.urlSigningSecret)),
    config.downloadUrlTtlSeconds,
  );
  const generations = new KeyGenerations(redis, keys.keyGenerations);
  const credentials =
    config.auth === 'sigv4'
      ? new LiveCredentials(
          {
            credentialsFile: config.credentialsFile,
            adminAccessKeyId: config.adminAccessKeyId,
            adminSecretAccessKey: config.adminSecretAccessKey,
          },
          log,
          generations,
        )
      : undefined;
  await credentials?.recorded();
  if (!credentials) log.warn('AUTH=off: every request is allowed without credentials; never expose this service');
  const noKeys = new CredentialSet([], []);
  const tokenSecret = config.authTokenSecret ?? (await sharedSecret(redis, keys.authTokenSecret));
  const tokens = new LoginTokens(tokenSecret, config.authTokenTtlSeconds, generations);
  const auth = new AuthGate({
    mode: config.auth,
    credentials: () => credentials?.get() ?? noKeys,
    sigv4: { service: 'ecr', region: config.region, maxSkewMs: 15 * 60_000 },
    tokens,
    permissions: new Permissions(() => credentials?.get() ?? noKeys, {
      registryId: config.registryId,
      region: config.region,
    }),
    failures: new AuthFailureLimiter(redis, keys.authLimits, {
      maxFailures: config.authFailureLimit,
      windowSeconds: config.authFailureWindowSeconds,
    }),
    quota: new RequestQuota(redis, keys.authLimits, {
      requests: config.keyRequestQuota,
      windowSeconds: config.keyRequestQuotaWindowSeconds,
    }),
    metrics,
  });
  const operations = createOperations({
    repositories,
    uploads,
    layers,
    images,
    downloads: signer,
    tokens,
    pageTokens: new PageTokens(tokenSecret),
    tokenTtlSeconds: config.authTokenTtlSeconds,
    region: config.region,
    pullThroughRules,
    lifecycle: new LifecycleService({
      repositories,
      images: imageStore,
      lifecycle,
      now: createClock(config.clockOffsetFile),
      log,
    }),
    pullThrough,
  });
  const baseUrl = createPublicBaseUrl({
    publicUrl: config.publicUrl,
    allowedHosts: config.allowedHosts,
    listenHost: config.host,
  });
  // The realm of a /v2 challenge is only a label; it never echoes a Host the service was not configured for.
  const challengeRealm = (req: Request) => {
    try {
      return baseUrl(req);
    } catch {
      return config.publicUrl ?? `${req.protocol}://${config.host}:${config.port}`;
    }
  };

  const readiness: ReadinessCheck[] = [
    { name: 'redis', check: () => checkRedis(redis) },
    {
      name: 'storage',
      check: () => checkStorage(storage),
    },
    {
      name: 'worker',
      check: async () => {
        if ((await workers.countAlive(WORKER_ALIVE_MS)) === 0)
          throw new Error('no worker is consuming the finalize queue');
      },
    },
  ];
  // The read-only web console (docs/console.md), mounted at /ui after every other door.
  const apiProcesses = new WorkerRegistry(redis, keys, 'apiProcesses');
  const consoleOperations = config.console
    ? new OperationsOverview({
        redis,
        queueRedis,
        keys,
        queuePrefix: config.queuePrefix,
        uploads: uploadStore,
        workers,
        apis: apiProcesses,
      })
    : undefined;
  // While the console is on, this process announces itself for its Operations page.
  const apiProcessId = `${hostname()}/${process.pid}/${randomUUID().slice(0, 8)}`;
  const beat = () => void apiProcesses.heartbeat(apiProcessId).catch(() => undefined);
  const apiHeartbeat = consoleOperations ? setInterval(beat, HEARTBEAT_MS) : undefined;
  apiHeartbeat?.unref();
  if (consoleOperations) beat();
  const consoleRouter = consoleOperations
    ? createConsoleRouter({
        auth,
        sessions: new ConsoleSessions(tokenSecret, generations),
        repositories: new RepositoryOverview({ repositories, images: imageStore, lifecycle }),
        images: new ImageOverview({ repositories, images, imageStore, layers, storage }),
        operations: consoleOperations,
        baseUrl,
      })
    : undefined;
  const app = createApp({
    log,
    trustProxy: config.trustProxy,
    routers: [
      rejectMalformedHost((req, res, error) => {
        const wire = wireOf(req);
        // On /v2 an invalid request header is UNSUPPORTED (no upload is involved to call invalid).
        sendError(wire, res, wire === 'v2' ? new UnsupportedOperationError(error.message) : error);
      }),
      createEcrRouter({
        operations,
        metrics,
        maxRequestBytes: config.maxRequestBytes,
        maxOperationBodyBytes: config.maxOperationBodyBytes,
        baseUrl,
        auth,
        audit,
        repositories,
      }),
      createV1Router({
        uploads,
        metrics,
        auth,
        audit,
        callbackAllowlist: config.callbackAllowlist,
        maxLongPollSeconds: config.maxLongPollSeconds,
      }),
      createV2Router({
        metrics,
        authorize: registryBasicAuth(auth),
        challengeRealm,
        audit,
        routes: createV2Routes({
          uploads,
          blobUploads: new BlobUploads({
            uploads,
            layers,
            repositories,
            registryId: config.registryId,
            policy: { minPartSize: 0, maxPartSize: config.maxLayerSize, allowEmpty: true },
            createRepositoryOnPush: config.createRepositoryOnPush,
          }),
          images: withPullThrough(images, pullThrough),
          layers,
          storage,
          pullThrough,
          registryId: config.registryId,
          delivery,
        }),
      }),
      createDownloadRouter({ signer, layers, storage, registryId: config.registryId, delivery }),
      createHealthRouter(readiness),
      ...(consoleRouter ? [consoleRouter] : []),
    ],
  });

  return {
    app,
    metricsRegistry,
    readiness,
    endWaits: () => waiter.close(),
    async close() {
      credentials?.close();
      if (apiHeartbeat) {
        clearInterval(apiHeartbeat);
        await apiProcesses.remove(apiProcessId).catch(() => undefined);
      }
      await hashPool.close();
      await Promise.all([queue.close(), verifyQueue.close(), events.close(), consoleOperations?.close()]);
      await Promise.allSettled([redis.quit(), subscriber.quit(), queueRedis.quit()]);
      auditLog.close();
    },
  };
}

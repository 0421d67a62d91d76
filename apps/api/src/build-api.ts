import type { Express } from 'express';
import type { Config } from '@longshore/config';
import { createStores, sharedSecret } from '@longshore/metadata';
import {
  CompletionWaiter,
  createFinalizeQueue,
  createRedisConnection,
  createVerifyQueue,
  redisReady,
} from '@longshore/queue';
import { createFilesystemDriver } from '@longshore/storage';
import { createHashPool } from '@longshore/digest';
import { createMetricsRegistry, type Logger } from '@longshore/telemetry';
import { createApp } from './create-app.js';
import { createDownloadRouter } from './downloads/download-router.js';
import { DownloadUrlSigner } from './downloads/download-url-signer.js';
import { createEcrRouter } from './ecr/ecr-router.js';
import { sendEcrError } from './ecr/ecr-response.js';
import { createOperations } from './ecr/operations/index.js';
import { checkRedis } from './health/check-redis.js';
import { createHealthRouter } from './health/health-router.js';
import { createPublicBaseUrl } from './http/public-base-url.js';
import { rejectMalformedHost } from './http/reject-malformed-host.js';
import { LayerService } from './layers/layer-service.js';
import { createApiMetrics } from './metrics/api-metrics.js';
import { RepositoryService } from './repositories/repository-service.js';
import { UploadService } from './uploads/upload-service.js';
import { createV1Router } from './v1/v1-router.js';
import { sendV1Error } from './v1/send-v1-error.js';

export interface Api {
  app: Express;
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
  await redisReady(redis);
  const queueError = (err: Error) => log.debug({ err }, 'queue connection error');
  const storage = createFilesystemDriver({ rootDir: config.storageDir });
  const hashPool = createHashPool(config.hashThreads);
  const {
    keys,
    repositories: repositoryStore,
    uploads: uploadStore,
    layers: layerStore,
    workers,
  } = createStores(redis, config.queuePrefix, config);
  const queue = createFinalizeQueue(
    redis,
    config.queuePrefix,
    {
      attempts: config.finalizeAttempts,
      backoffMs: config.finalizeBackoffMs,
    },
    queueError,
  );
  const verifyQueue = createVerifyQueue(redis, config.queuePrefix, queueError);
  const waiter = new CompletionWaiter(subscriber, uploadStore, keys, config.statusPollMs);

  const metricsRegistry = createMetricsRegistry('api');
  const metrics = createApiMetrics(metricsRegistry, { inflightWaits: () => waiter.size });

  const repositories = new RepositoryService({ repositories: repositoryStore, registryId: config.registryId });
  const layers = new LayerService({ layers: layerStore });
  const uploads = new UploadService({
    repositories,
    uploads: uploadStore,
    storage,
    hashPool,
    queue,
    verifyQueue,
    backgroundVerifyMinBytes: config.backgroundVerifyMinBytes,
    waiter,
    completeWaitMs: config.completeWaitMs,
    maxPartSize: config.maxPartSize,
    events: {
      started: () => metrics.uploadsStarted.inc(),
      bytesReceived: (bytes) => metrics.receivedBytes.inc(bytes),
      finished: (outcome) =>
        outcome === 'ok' ? metrics.uploadsCompleted.inc() : metrics.uploadsFailed.inc({ error: outcome }),
    },
  });
  const signer = new DownloadUrlSigner(
    config.urlSigningSecret ?? (await sharedSecret(redis, keys.urlSigningSecret)),
    config.downloadUrlTtlSeconds,
  );
  const operations = createOperations({ repositories, uploads, layers, downloads: signer, region: config.region });
  const baseUrl = createPublicBaseUrl({
    publicUrl: config.publicUrl,
    allowedHosts: config.allowedHosts,
    listenHost: config.host,
  });

  const app = createApp({
    log,
    metricsRegistry,
    routers: [
      rejectMalformedHost((req, res, error) =>
        req.method === 'POST' && req.path === '/' ? sendEcrError(res, error) : sendV1Error(res, error),
      ),
      createEcrRouter({ operations, metrics, maxRequestBytes: config.maxRequestBytes, baseUrl }),
      createV1Router({
        uploads,
        repositories,
        waiter,
        metrics,
        callbackAllowlist: config.callbackAllowlist,
        maxLongPollSeconds: config.maxLongPollSeconds,
      }),
      createDownloadRouter({ signer, layers, storage, registryId: config.registryId }),
      createHealthRouter([
        { name: 'redis', check: () => checkRedis(redis) },
        {
          name: 'storage',
          check: async () => {
            const probe = `readyz/${process.pid}`;
            await storage.putContent(probe, Buffer.from(String(Date.now())));
            await storage.delete(probe);
          },
        },
        {
          name: 'worker',
          check: async () => {
            if ((await workers.countAlive(15_000)) === 0) throw new Error('no worker is consuming the finalize queue');
          },
        },
      ]),
    ],
  });

  return {
    app,
    endWaits: () => waiter.close(),
    async close() {
      await hashPool.close();
      await Promise.all([queue.close(), verifyQueue.close()]);
      await Promise.allSettled([redis.quit(), subscriber.quit()]);
    },
  };
}

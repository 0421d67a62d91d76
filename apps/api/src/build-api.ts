import type { Request } from 'express';
import type { Express } from 'express';
import type { Config } from '@longshore/config';
import { createStores, sharedSecret } from '@longshore/metadata';
import { CompletionWaiter, createFinalizeQueue, createRedisConnection, createVerifyQueue } from '@longshore/queue';
import { createConfiguredStorageDriver } from '@longshore/storage';
import { createHashPool } from '@longshore/digest';
import { createMetricsRegistry, type Logger } from '@longshore/telemetry';
import { createApp } from './create-app.js';
import { createDownloadRouter } from './downloads/download-router.js';
import { DownloadUrlSigner } from './downloads/download-url-signer.js';
import { createEcrRouter } from './ecr/ecr-router.js';
import { createOperations } from './ecr/operations/index.js';
import { createHealthRouter } from './health/health-router.js';
import { LayerService } from './layers/layer-service.js';
import { createApiMetrics } from './metrics/api-metrics.js';
import { RepositoryService } from './repositories/repository-service.js';
import { UploadService } from './uploads/upload-service.js';
import { createV1Router } from './v1/v1-router.js';

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
  const redis = createRedisConnection(config.redisUrl, { name: 'api' });
  const subscriber = createRedisConnection(config.redisUrl, { name: 'api-events', blocking: true });
  const storage = createConfiguredStorageDriver(config);
  const hashPool = createHashPool(config.hashThreads);
  const {
    keys,
    repositories: repositoryStore,
    uploads: uploadStore,
    layers: layerStore,
    blobs,
    workers,
  } = createStores(redis, config.queuePrefix, config);
  const queue = createFinalizeQueue(redis, config.queuePrefix, {
    attempts: config.finalizeAttempts,
    backoffMs: config.finalizeBackoffMs,
  });
  const verifyQueue = createVerifyQueue(redis, config.queuePrefix);
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
    maxLayerSize: config.maxLayerSize,
    bodyDeadlines: { idleMs: config.partIdleTimeoutMs, maxMs: config.partMaxDurationMs },
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
  const baseUrl = (req: Request) =>
    config.publicUrl ?? `${req.protocol}://${req.get('host') ?? `${config.host}:${config.port}`}`;

  const app = createApp({
    log,
    metricsRegistry,
    routers: [
      createEcrRouter({ operations, metrics, maxRequestBytes: config.maxRequestBytes, baseUrl }),
      createV1Router({
        uploads,
        repositories,
        waiter,
        metrics,
        callbackAllowlist: config.callbackAllowlist,
        maxLongPollSeconds: config.maxLongPollSeconds,
      }),
      createDownloadRouter({ signer, layers, storage, blobs, registryId: config.registryId }),
      createHealthRouter([
        { name: 'redis', check: async () => void (await redis.ping()) },
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

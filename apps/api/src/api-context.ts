import type { Cluster, Redis } from 'ioredis';
import type { Registry } from 'prom-client';
import type { Config } from '@longshore/config';
import { createHashPool, type HashPool } from '@longshore/digest';
import type { Stores } from '@longshore/metadata';
import {
  CompletionWaiter,
  createFinalizeBatcher,
  createFinalizeQueue,
  createRedisConnection,
  createVerifyQueue,
  createPublishingStores,
  redisReady,
  type EventPublisher,
  type FinalizeBatcher,
  type FinalizeQueue,
  type VerifyQueue,
} from '@longshore/queue';
import { createConfiguredStorageDriver, type StorageDriver } from '@longshore/storage';
import { type AuditLog, createAuditLog, createMetricsRegistry, type Logger } from '@longshore/telemetry';
import { RequestAudit } from './audit/request-audit.js';
import { createApiMetrics } from './metrics/api-metrics.js';

/** Where an image event is published: the account and region of its ARNs. */
export interface EventPlace {
  account: string;
  region: string;
}

/** What every part of one API process shares: settings, connections, stores, queues, metrics. */
export interface ApiContext {
  readonly config: Config;
  readonly log: Logger;
  /** The stores' connection: fails fast while Redis is gone (a retryable error, never a queue behind a dead connection). */
  readonly redis: Redis | Cluster;
  /**
   * BullMQ's queues' own connection: BullMQ defines its ~60 scripts on the client it is given,
   * and ioredis copies every defined script into each auto-pipelined batch of that client.
   */
  readonly queueRedis: Redis | Cluster;
  readonly storage: StorageDriver;
  readonly hashPool: HashPool;
  readonly where: EventPlace;
  readonly events: EventPublisher;
  /** Where an image event that could not be queued goes. */
  onEventError(err: unknown): void;
  readonly stores: Stores;
  readonly queues: { readonly finalize: FinalizeQueue; readonly verify: VerifyQueue };
  /** Requests waiting for an upload's status to change, on one pub/sub connection. */
  readonly waiter: CompletionWaiter;
  /** Group commit: this process's completions go to the workers in batches (docs/architecture.md). */
  readonly batcher: FinalizeBatcher;
  readonly auditLog: AuditLog;
  readonly audit: RequestAudit;
  readonly metricsRegistry: Registry;
  readonly metrics: ReturnType<typeof createApiMetrics>;
  /** Closes the queues, the hash threads, the connections and the audit log (after the server has finished). */
  close(): Promise<void>;
}

/** Connects what the parts of an API process share. Nothing is served yet. */
export async function createApiContext(config: Config, log: Logger): Promise<ApiContext> {
  if (!config.redisUrl) throw new Error('REDIS_URL is required to run the API (npm start provides one)');
  const redis = createRedisConnection(config.redisUrl, { name: 'api', failFast: true, log });
  const subscriber = createRedisConnection(config.redisUrl, { name: 'api-events', blocking: true, log });
  const queueRedis = createRedisConnection(config.redisUrl, { name: 'api-queues', failFast: true, log });
  await Promise.all([redisReady(redis), redisReady(queueRedis)]);
  const queueError = (err: Error) => log.debug({ err }, 'queue connection error');
  const storage = await createConfiguredStorageDriver(config);
  const hashPool = createHashPool(config.hashThreads, { idleMs: config.hashThreadIdleMs });
  const onEventError = (err: unknown) => log.error({ err }, 'an image event could not be queued');
  const { stores, events, where } = createPublishingStores({ storeRedis: redis, queueRedis }, config, storage, {
    queue: queueError,
    event: onEventError,
  });
  const finalize = createFinalizeQueue(
    queueRedis,
    config.queuePrefix,
    { attempts: config.finalizeAttempts, backoffMs: config.finalizeBackoffMs },
    queueError,
  );
  const verify = createVerifyQueue(queueRedis, config.queuePrefix, queueError);
  const waiter = new CompletionWaiter(subscriber, stores.uploads, stores.keys, config.statusPollMs);
  const batcher = createFinalizeBatcher(
    finalize,
    waiter,
    {
      maxUploads: config.finalizeBatchMaxUploads,
      maxWaitMs: config.finalizeBatchMaxWaitMs,
      maxInFlight: config.finalizeBatchMaxInFlight,
    },
    config.completeWaitMs,
  );
  const auditLog = createAuditLog(config.auditLog);
  const metricsRegistry = createMetricsRegistry('api');
  return {
    config,
    log,
    redis,
    queueRedis,
    storage,
    hashPool,
    where,
    events,
    onEventError,
    stores,
    queues: { finalize, verify },
    waiter,
    batcher,
    auditLog,
    audit: new RequestAudit(auditLog),
    metricsRegistry,
    metrics: createApiMetrics(metricsRegistry, { inflightWaits: () => waiter.size }),
    async close() {
      await hashPool.close();
      await Promise.all([finalize.close(), verify.close(), events.close()]);
      await Promise.allSettled([redis.quit(), subscriber.quit(), queueRedis.quit()]);
      auditLog.close();
    },
  };
}

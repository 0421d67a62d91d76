import type { Cluster, Redis } from 'ioredis';
import type { Queue } from 'bullmq';
import type { Registry } from 'prom-client';
import { type Clock, createClock, type Config } from '@longshore/config';
import { createHashPool, type HashPool } from '@longshore/digest';
import type { Stores } from '@longshore/metadata';
import {
  type CallbackQueue,
  type EventJobData,
  type EventPublisher,
  type FinalizeQueue,
  createCallbackQueue,
  createPublishingStores,
  createEventQueue,
  createFinalizeQueue,
  createRedisConnection,
  isRedisConnectionError,
} from '@longshore/queue';
import { createConfiguredStorageDriver, type StorageDriver } from '@longshore/storage';
import { createMetricsRegistry, type Logger } from '@longshore/telemetry';
import { createWorkerMetrics } from './metrics/worker-metrics.js';

/** What every queue's worker of one process shares: settings, connections, stores, queues, metrics. */
export interface WorkerContext {
  readonly config: Config;
  readonly log: Logger;
  /** BullMQ's connection (blocking commands; waits for Redis to come back). */
  readonly redis: Redis | Cluster;
  /** The metadata stores' connection (auto-pipelined, never blocks). */
  readonly storeRedis: Redis | Cluster;
  readonly storage: StorageDriver;
  readonly hashPool: HashPool;
  readonly clock: Clock;
  readonly stores: Stores;
  readonly publisher: EventPublisher;
  readonly queues: {
    readonly finalize: FinalizeQueue;
    readonly events: Queue<EventJobData>;
    readonly callbacks: CallbackQueue;
  };
  readonly metricsRegistry: Registry;
  readonly metrics: ReturnType<typeof createWorkerMetrics>;
  /** Where a queue's connection errors go. */
  onQueueError(err: Error): void;
  /** Where a BullMQ worker's errors go (a lost Redis connection is logged more quietly than a bug). */
  onWorkerError(err: Error, message: string): void;
  /** Closes the queues, the hash threads and the connections (after the workers have closed). */
  close(): Promise<void>;
}

/** Connects what the workers of a process share. Nothing consumes a queue yet. */
export async function createWorkerContext(config: Config, log: Logger): Promise<WorkerContext> {
  if (!config.redisUrl) throw new Error('REDIS_URL is required to run a worker (npm start provides one)');
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
  const onQueueError = (err: Error) => log.debug({ err }, 'queue connection error');
  const onWorkerError = (err: Error, message: string) =>
    isRedisConnectionError(err, redis) ? log.debug({ err }, message) : log.error({ err }, message);
  const storage = await createConfiguredStorageDriver(config);
  const hashPool = createHashPool(config.hashThreads, { idleMs: config.hashThreadIdleMs });
  // Lifecycle expiry publishes its DELETE events like the API's deletes do.
  const { stores, events: publisher } = createPublishingStores({ storeRedis, queueRedis: redis }, config, storage, {
    queue: onQueueError,
    event: (err) => log.error({ err }, 'an image event could not be queued'),
  });
  const queues = {
    finalize: createFinalizeQueue(
      redis,
      config.queuePrefix,
      { attempts: config.finalizeAttempts, backoffMs: config.finalizeBackoffMs },
      onQueueError,
    ),
    events: createEventQueue(redis, config.queuePrefix, (err) => onWorkerError(err, 'events queue error')),
    callbacks: createCallbackQueue(
      redis,
      config.queuePrefix,
      { attempts: config.callbackAttempts, backoffMs: config.callbackBackoffMs },
      onQueueError,
    ),
  };

  const metricsRegistry = createMetricsRegistry('worker');
  const metrics = createWorkerMetrics(metricsRegistry, {
    hashPoolUtilization: () => hashPool.utilization(),
    queueCounts: () => queues.finalize.queue.getJobCounts('waiting', 'active', 'delayed', 'failed', 'completed'),
    eventCounts: () => queues.events.getJobCounts('waiting', 'active', 'delayed', 'failed'),
    oldestWaiting: async () => {
      const entries = await Promise.all(
        [queues.finalize.queue, queues.events].map(
          async (q) => [q.name, (await q.getWaiting(0, 0))[0]?.timestamp] as const,
        ),
      );
      return Object.fromEntries(entries);
    },
    storedBlobBytes: () => stores.blobs.storedBytes(),
  });
  metrics.hashThreads.set(hashPool.threads);

  return {
    config,
    log,
    redis,
    storeRedis,
    storage,
    hashPool,
    clock: createClock(config.clockOffsetFile),
    stores,
    publisher,
    queues,
    metricsRegistry,
    metrics,
    onQueueError,
    onWorkerError,
    async close() {
      await queues.events.close();
      await queues.callbacks.close();
      await publisher.close();
      await hashPool.close();
      await queues.finalize.close();
      await Promise.all([redis.quit().catch(() => undefined), storeRedis.quit().catch(() => undefined)]);
    },
  };
}

import type { Config } from '@longshore/config';
import { readRedisRuntimeFile, REDIS_RUNTIME_FILE } from '@longshore/embedded-redis';
import { createStores, type Stores } from '@longshore/metadata';
import { createRedisConnection, redisReady, type RedisClient } from '@longshore/queue';
import { createConfiguredStorageDriver, type StorageDriver } from '@longshore/storage';
import { CliError } from './cli-error.js';

/** The running registry's Redis and storage, as the service itself reaches them. */
export interface Registry {
  config: Config;
  redisUrl: string;
  redis: RedisClient;
  storage: StorageDriver;
  stores: Stores;
  close(): Promise<void>;
}

/**
 * Where the service's Redis is: REDIS_URL (or REDIS_CLUSTER_NODES) when set, as for the
 * service; else the embedded redis-server `npm start` runs under DATA_DIR, which it records in
 * `<DATA_DIR>/redis/longshore-redis.json`.
 */
export async function findRedisUrl(config: Config): Promise<string> {
  if (config.redisUrl) return config.redisUrl;
  const runtime = await readRedisRuntimeFile(config.redisDir);
  if (!runtime) {
    throw new CliError(
      `No Redis to connect to: REDIS_URL is not set, and no running Longshore was found under DATA_DIR=${config.dataDir} ` +
        `(${config.redisDir}/${REDIS_RUNTIME_FILE} is missing). Start Longshore (npm start) with the same DATA_DIR, or set REDIS_URL.`,
    );
  }
  return runtime.url;
}

/** How long to wait for Redis before saying it cannot be reached. */
const CONNECT_TIMEOUT_MS = 10_000;

export async function connect(config: Config): Promise<Registry> {
  const redisUrl = await findRedisUrl(config);
  const redis = createRedisConnection(redisUrl, { name: 'cli', failFast: true });
  try {
    await Promise.race([
      redisReady(redis),
      new Promise((_, reject) => setTimeout(() => reject(new Error('no answer')), CONNECT_TIMEOUT_MS).unref()),
    ]);
  } catch (error) {
    redis.disconnect();
    throw new CliError(`Cannot reach Redis at ${redisUrl}: ${(error as Error).message}. Is Longshore running?`);
  }
  const storage = await createConfiguredStorageDriver(config);
  const stores = createStores(redis, config.queuePrefix, config, storage);
  return {
    config,
    redisUrl,
    redis,
    storage,
    stores,
    async close() {
      await redis.quit().catch(() => redis.disconnect());
    },
  };
}

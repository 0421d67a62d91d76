import { isRedisClusterUrl } from '@longshore/config';
import { type Cluster, Redis } from 'ioredis';
import { createRedisClusterConnection } from './redis-cluster-connection.js';

/** A connection to a single Redis, or to a Redis Cluster (REDIS_URL `redis+cluster://...`). */
export type RedisClient = Redis | Cluster;

export interface RedisConnectionOptions {
  /** BullMQ workers and subscribers block; they must not give up on a command during a reconnect. */
  blocking?: boolean;
  name: string;
}

/** One shared way to connect, so every process names its connections (CLIENT LIST shows them). */
export function createRedisConnection(url: string, options: RedisConnectionOptions): RedisClient {
  if (isRedisClusterUrl(url)) return createRedisClusterConnection(url, options);
  return new Redis(url, {
    connectionName: `longshore-${options.name}`,
    maxRetriesPerRequest: options.blocking ? null : 3,
    enableReadyCheck: true,
    // Commands issued in the same tick by concurrent requests go out in one write.
    enableAutoPipelining: !options.blocking,
    lazyConnect: false,
  });
}

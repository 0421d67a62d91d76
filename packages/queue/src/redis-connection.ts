import { isRedisClusterUrl } from '@longshore/config';
import { type Cluster, Redis } from 'ioredis';
import { createRedisClusterConnection } from './redis-cluster-connection.js';

/** A connection to a single Redis, or to a Redis Cluster (REDIS_URL `redis+cluster://...`). */
export type RedisClient = Redis | Cluster;

/** Where a connection reports losing and regaining Redis (a pino logger fits). */
export interface ConnectionLog {
  warn(fields: object, message: string): void;
  info(fields: object, message: string): void;
}

export interface RedisConnectionOptions {
  /**
   * BullMQ workers and subscribers block; they must not give up on a command during a reconnect
   * (BullMQ requires `maxRetriesPerRequest: null` for them), so their commands wait for Redis.
   */
  blocking?: boolean;
  /**
   * Serving requests: while Redis is unreachable a command fails at once instead of queueing
   * (no offline queue, no retry of commands in flight), so a request answers a retryable error
   * quickly. Await `redisReady()` before the first command. BullMQ's advice for producers.
   */
  failFast?: boolean;
  /**
   * Commands issued in the same tick go out in one write (ioredis auto-pipelining). The default
   * for connections that do not block; a `blocking` one that never sends a blocking command
   * (e.g. a worker's metadata commands) may ask for it too. Single Redis only.
   */
  pipelined?: boolean;
  name: string;
  /** Receives connection loss and recovery (once per outage, not per reconnect attempt). */
  log?: ConnectionLog;
}

/** Reconnect quickly: the embedded Redis comes back within about a second. */
const RECONNECT_DELAY_MAX_MS = 500;

/** One shared way to connect, so every process names its connections (CLIENT LIST shows them). */
export function createRedisConnection(url: string, options: RedisConnectionOptions): RedisClient {
  if (isRedisClusterUrl(url)) return createRedisClusterConnection(url, options);
  const redis = new Redis(url, {
    connectionName: `longshore-${options.name}`,
    maxRetriesPerRequest: options.blocking ? null : options.failFast ? 0 : 3,
    enableOfflineQueue: !options.failFast,
    enableReadyCheck: true,
    // Commands issued in the same tick by concurrent requests go out in one write.
    enableAutoPipelining: options.pipelined ?? !options.blocking,
    lazyConnect: false,
    retryStrategy: (attempt) => Math.min(attempt * 50, RECONNECT_DELAY_MAX_MS),
  });
  // Always listen: without a listener ioredis prints every error as plain text on stderr.
  let lost = false;
  redis.on('error', (err: Error) => {
    if (lost) return;
    lost = true;
    options.log?.warn({ err, connection: options.name }, 'lost the connection to Redis; reconnecting');
  });
  redis.on('ready', () => {
    if (!lost) return;
    lost = false;
    options.log?.info({ connection: options.name }, 'connection to Redis restored');
  });
  return redis;
}

/** Resolves once the connection is ready for commands (needed before the first command of a failFast one). */
export function redisReady(redis: RedisClient): Promise<void> {
  if (redis.status === 'ready') return Promise.resolve();
  return new Promise((resolve, reject) => {
    const onReady = () => {
      redis.off('end', onEnd);
      resolve();
    };
    const onEnd = () => {
      redis.off('ready', onReady);
      reject(new Error('the Redis connection closed before it was ready'));
    };
    redis.once('ready', onReady);
    redis.once('end', onEnd);
  });
}

const CONNECTION_ERROR_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'EPIPE', 'ETIMEDOUT', 'EHOSTUNREACH']);

/** ioredis's error class (not exported from its index) for a command that ran out of retries during an outage. */
const MAX_RETRIES_ERROR = 'MaxRetriesPerRequestError';

/**
 * Whether an error only says Redis is unreachable for now (already reported once per outage by
 * the connection's own log), rather than something worth an error line of its own: a network
 * error code, ioredis's MaxRetriesPerRequestError, or any error while `connection` (a connection
 * to the same Redis) is not ready, such as a command refused on a closed or reconnecting one.
 * Decided by error codes, classes and connection state, never by message text.
 */
export function isRedisConnectionError(err: unknown, connection?: Pick<RedisClient, 'status'>): boolean {
  const { code, name } = (err ?? {}) as { code?: unknown; name?: unknown };
  return (
    (typeof code === 'string' && CONNECTION_ERROR_CODES.has(code)) ||
    name === MAX_RETRIES_ERROR ||
    (err !== undefined && connection !== undefined && connection.status !== 'ready')
  );
}

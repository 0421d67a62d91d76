import { Redis } from 'ioredis';

export interface RedisConnectionOptions {
  /** BullMQ workers and subscribers block; they must not give up on a command during a reconnect. */
  blocking?: boolean;
  name: string;
}

/** One shared way to connect, so every process names its connections (CLIENT LIST shows them). */
export function createRedisConnection(url: string, options: RedisConnectionOptions): Redis {
  return new Redis(url, {
    connectionName: `longshore-${options.name}`,
    maxRetriesPerRequest: options.blocking ? null : 3,
    enableReadyCheck: true,
    // Commands issued in the same tick by concurrent requests go out in one write.
    enableAutoPipelining: !options.blocking,
    lazyConnect: false,
  });
}

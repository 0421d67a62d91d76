import type { Cluster, Redis } from 'ioredis';

const PING_TIMEOUT_MS = 1_000;

/**
 * Readiness of the API's Redis connection, decided at once when the connection is down (no
 * waiting on a dead socket), else by a PING that must answer within a second.
 */
export async function checkRedis(redis: Redis | Cluster): Promise<void> {
  if (redis.status !== 'ready') throw new Error(`the connection to Redis is ${redis.status}`);
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new Error(`Redis did not answer PING within ${PING_TIMEOUT_MS} ms`)),
      PING_TIMEOUT_MS,
    );
  });
  try {
    await Promise.race([redis.ping(), timeout]);
  } finally {
    clearTimeout(timer);
  }
}

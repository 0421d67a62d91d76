import { Redis } from 'ioredis';
import { describe, expect, inject, it } from 'vitest';
import { isRedisConnectionError } from './redis-connection.js';

describe('isRedisConnectionError', () => {
  it('recognises an unreachable Redis by its network error code', () => {
    expect(isRedisConnectionError(Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' }))).toBe(
      true,
    );
  });

  it('recognises the errors of a real ioredis connection that is closed or out of retries', async () => {
    const closed = new Redis(inject('redisUrl'), { lazyConnect: true, enableOfflineQueue: false });
    const refused = await closed.ping().catch((err: unknown) => err);
    expect(refused).toBeInstanceOf(Error);
    expect(isRedisConnectionError(refused, closed)).toBe(true);
    // The same error, once the connection is ready again, is no outage of its own.
    expect(isRedisConnectionError(refused, { status: 'ready' })).toBe(false);
    closed.disconnect();

    // A port nobody listens on, one retry per command: ioredis's MaxRetriesPerRequestError.
    const unreachable = new Redis({ port: 1, maxRetriesPerRequest: 1, retryStrategy: () => 10 });
    unreachable.on('error', () => undefined);
    const gaveUp = await unreachable.ping().catch((err: unknown) => err);
    expect((gaveUp as Error).name).toBe('MaxRetriesPerRequestError');
    expect(isRedisConnectionError(gaveUp)).toBe(true);
    unreachable.disconnect();
  });

  it('leaves other errors alone', async () => {
    const redis = new Redis(inject('redisUrl'));
    const unknown = await redis.call('NO-SUCH-COMMAND').catch((err: unknown) => err);
    expect(isRedisConnectionError(unknown, redis)).toBe(false);
    expect(isRedisConnectionError(new Error('Connection is closed.'))).toBe(false);
    expect(isRedisConnectionError(undefined, redis)).toBe(false);
    redis.disconnect();
  });
});

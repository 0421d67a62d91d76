import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { AuthFailureLimiter } from './auth-failure-limiter.js';

const LIMIT = 2;

describe('AuthFailureLimiter (Redis)', () => {
  let redis: Redis;
  let limiter: AuthFailureLimiter;
  let prefix: string;

  beforeAll(() => {
    redis = new Redis(inject('redisUrl'));
    prefix = `test-${randomUUID()}`;
    limiter = new AuthFailureLimiter(redis, prefix, { maxFailures: LIMIT, windowSeconds: 60 });
  });
  afterAll(() => redis.quit());

  const outcome = (subject: { source: string; accessKeyId?: string }) =>
    limiter.recordFailure(subject).then(
      () => 'counted',
      (err: Error) => err.name,
    );

  it('answers failures past the limit of one (source, key id) pair with ThrottlingException, and only that pair', async () => {
    const pair = { source: '10.0.0.1', accessKeyId: 'AKIAADMIN' };
    for (let i = 0; i < LIMIT; i++) expect(await outcome(pair)).toBe('counted');
    expect(await outcome(pair)).toBe('ThrottlingException');
    expect(await outcome({ source: '10.0.0.2', accessKeyId: 'AKIAADMIN' })).toBe('counted');
    expect(await outcome({ source: '10.0.0.1', accessKeyId: 'AKIAOTHER' })).toBe('counted');
    expect(await outcome({ source: '10.0.0.1' })).toBe('counted');
  });

  it('lists blocked pairs and lifts them', async () => {
    const blocks = await limiter.listBlocks();
    expect(blocks).toEqual([
      { source: '10.0.0.1', accessKeyId: 'AKIAADMIN', failures: LIMIT + 1, until: expect.any(Number) },
    ]);
    expect(await limiter.liftBlock({ source: '10.0.0.1', accessKeyId: 'AKIAADMIN' })).toBe(true);
    expect(await limiter.listBlocks()).toEqual([]);
    expect(await outcome({ source: '10.0.0.1', accessKeyId: 'AKIAADMIN' })).toBe('counted');
  });

  it('keeps each pair under its own hash tag', async () => {
    const keys = await redis.keys(`${prefix}:auth-failures:*`);
    expect(keys.sort()).toEqual(
      [
        `${prefix}:auth-failures:{10.0.0.1|-}`,
        `${prefix}:auth-failures:{10.0.0.1|AKIAADMIN}`,
        `${prefix}:auth-failures:{10.0.0.1|AKIAOTHER}`,
        `${prefix}:auth-failures:{10.0.0.2|AKIAADMIN}`,
      ].sort(),
    );
  });
});

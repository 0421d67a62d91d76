import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, it } from 'vitest';
import { startEmbeddedRedis, type EmbeddedRedis } from '@longshore/embedded-redis';
import { startLongshore, type Longshore } from '../support/longshore-harness.js';
import { rebuildAfterRedisLoss } from '../support/rebuild-index-scenario.js';

// Issue 18, point 1, on the filesystem store and a single Redis: a Redis of this test's own,
// since the scenario empties it whole (FLUSHALL).
describe('longshore rebuild-index after losing Redis (filesystem, single Redis)', () => {
  let redisDir: string;
  let redis: EmbeddedRedis;
  let longshore: Longshore;

  beforeAll(async () => {
    redisDir = await mkdtemp(path.join(os.tmpdir(), 'longshore-rebuild-redis-'));
    redis = await startEmbeddedRedis({ dataDir: redisDir, appendOnly: false });
    longshore = await startLongshore({ env: { REDIS_URL: redis.url, STORAGE: 'filesystem' } });
  }, 120_000);
  afterAll(async () => {
    await longshore?.close();
    await redis?.stop();
    if (redisDir) await rm(redisDir, { recursive: true, force: true });
  });

  it('every image pulls and DescribeImages is unchanged after FLUSHALL and a rebuild', {
    timeout: 300_000,
  }, async () => {
    await rebuildAfterRedisLoss(longshore, async () => {
      const client = new Redis(redis.url);
      try {
        await client.flushall();
      } finally {
        await client.quit();
      }
    });
  });
});

import { createHash } from 'node:crypto';
import { preloadScripts } from '@longshore/metadata';
import { createRedisConnection, redisReady } from '@longshore/queue';
import type { Cluster } from 'ioredis';
import { afterAll, describe, expect, inject, it } from 'vitest';

// preloadScripts against the real three-master Redis Cluster of test/global-setup-distributed.ts:
// a script runs on the master of its keys' slot, so every master must hold it.
const redis = createRedisConnection(inject('redisClusterUrl'), { name: 'preload-scripts-test' }) as Cluster;

afterAll(() => redis.quit());

describe('preloadScripts on a Redis Cluster', () => {
  it('loads the scripts into every master’s cache', async () => {
    await redisReady(redis);
    const script = { numberOfKeys: 0, lua: `-- preload on a cluster ${Date.now()}-${Math.random()}\nreturn 1` };
    const sha = createHash('sha1').update(script.lua).digest('hex');
    const masters = redis.nodes('master');
    expect(masters).toHaveLength(3);
    expect(await Promise.all(masters.map((node) => node.script('EXISTS', sha)))).toEqual([[0], [0], [0]]);
    expect(await preloadScripts(redis, [script])).toBe(3);
    expect(await Promise.all(masters.map((node) => node.script('EXISTS', sha)))).toEqual([[1], [1], [1]]);
  });
});

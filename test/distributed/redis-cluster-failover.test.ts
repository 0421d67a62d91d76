import { randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startEmbeddedRedisCluster } from '@longshore/embedded-redis';
import { createRedisConnection } from '@longshore/queue';
import type { Cluster } from 'ioredis';
import { describe, expect, it, onTestFinished } from 'vitest';

// Its own cluster (three masters, a replica each), since it takes a node away.
describe('a Redis Cluster connection through a failover', () => {
  it('retries a command while its slot fails over to the replica, instead of failing it', async () => {
    const dataDir = await mkdtemp(join(tmpdir(), 'longshore-failover-'));
    onTestFinished(() => rm(dataDir, { recursive: true, force: true }));
    const cluster = await startEmbeddedRedisCluster({ dataDir, replicasPerMaster: 1, nodeTimeoutMs: 1000 });
    onTestFinished(() => cluster.stop());
    const redis = createRedisConnection(cluster.url, { name: 'failover-test' }) as Cluster;
    onTestFinished(async () => {
      redis.disconnect();
    });

    const key = `failover:${randomUUID()}`;
    await redis.set(key, 'before');
    const slot = Number(await redis.cluster('KEYSLOT', key));
    const owner = await masterOf(redis, slot);
    expect(cluster.nodes).toContain(owner);

    await cluster.stopNode(owner);
    // Issued at once, while the slot has no reachable master: it must wait for the replica.
    const [read, written] = await Promise.all([redis.get(key), redis.set(key, 'after')]);
    expect(read === 'before' || read === 'after').toBe(true);
    expect(written).toBe('OK');
    expect(await redis.get(key)).toBe('after');
    expect(await masterOf(redis, slot)).not.toBe(owner);
  });
});

/** `host:port` of the master serving `slot`, as the cluster reports it. */
async function masterOf(redis: Cluster, slot: number): Promise<string> {
  const ranges = await redis.cluster('SLOTS');
  const master = ranges.find(([start, end]) => slot >= start && slot <= end)?.[2];
  if (master === undefined) throw new Error(`no master serves slot ${slot}`);
  return `${master[0]}:${master[1]}`;
}

import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CreateRepositoryCommand } from '@aws-sdk/client-ecr';
import { startEmbeddedRedisCluster } from '@longshore/embedded-redis';
import { createKeys } from '@longshore/metadata';
import { createRedisConnection } from '@longshore/queue';
import type { Cluster } from 'ioredis';
import { describe, expect, it, onTestFinished, vi } from 'vitest';
import { defaultRetryClient, forEachLimited, pushUntil } from '../support/chaos-pushes.js';
import { downloadedDigest } from '../support/download-layer.js';
import { startLongshore } from '../support/longshore-harness.js';

const CLIENTS = 4;
/** Pushes that must complete before the failover, and after it. */
const PUSHES_BEFORE = 4;
const PUSHES_AFTER = 8;

// Its own cluster (three masters, a replica each), since it takes a node away. The API and the
// worker run on it with filesystem storage; Longshore's keys spread over the cluster's slots
// (per upload, per repository, per digest), the BullMQ queue lives under its `{prefix}` tag.
describe('pushes through a Redis Cluster failover', () => {
  it('completes every push while the master of the queue slot fails over, and every layer reads back', async () => {
    const dataDir = await mkdtemp(join(tmpdir(), 'longshore-push-failover-'));
    onTestFinished(() => rm(dataDir, { recursive: true, force: true }));
    const cluster = await startEmbeddedRedisCluster({ dataDir, replicasPerMaster: 1, nodeTimeoutMs: 1000 });
    onTestFinished(() => cluster.stop());
    const longshore = await startLongshore({ env: { REDIS_URL: cluster.url } });
    onTestFinished(() => longshore.close());
    const redis = createRedisConnection(cluster.url, { name: 'push-failover-test' }) as Cluster;
    onTestFinished(() => {
      redis.disconnect();
    });

    const repositoryName = 'failover/pushes';
    await longshore.ecr.send(new CreateRepositoryCommand({ repositoryName }));
    const layers = createKeys(longshore.prefix).layers(repositoryName);
    const linked = () => redis.hlen(layers);
    const linkedAtLeast = (count: number) =>
      vi.waitFor(async () => expect(await linked()).toBeGreaterThanOrEqual(count), { timeout: 60_000, interval: 50 });

    // The master of the BullMQ queue's slot: every completion goes through it.
    const queueSlot = Number(await redis.cluster('KEYSLOT', `{${longshore.prefix}}`));
    const owner = await masterOf(redis, queueSlot);
    let linkedAtFailover = 0;
    const failover = (async () => {
      await linkedAtLeast(PUSHES_BEFORE);
      linkedAtFailover = await linked();
      await cluster.stopNode(owner);
      // The slot has a new master (its replica), and pushes went on through it.
      await vi.waitFor(async () => expect(await masterOf(redis, queueSlot)).not.toBe(owner), {
        timeout: 30_000,
        interval: 100,
      });
      await linkedAtLeast(linkedAtFailover + PUSHES_AFTER);
    })();
    const outcomes = await pushUntil(longshore.endpoint, repositoryName, CLIENTS, failover);
    await failover;

    const failures = outcomes.filter((outcome) => !outcome.ok);
    expect(failures).toEqual([]);
    expect(outcomes.length).toBeGreaterThanOrEqual(PUSHES_BEFORE + PUSHES_AFTER);
    expect(await masterOf(redis, queueSlot)).not.toBe(owner);

    // Every acknowledged layer is linked, and its bytes have its digest.
    expect(await linked()).toBe(outcomes.length);
    const ecr = defaultRetryClient(longshore.endpoint);
    onTestFinished(() => ecr.destroy());
    const mismatched: string[] = [];
    await forEachLimited(outcomes, 4, async ({ digest }) => {
      const read = await downloadedDigest(ecr, (url) => longshore.fetch(url), repositoryName, digest);
      if (read !== digest) mismatched.push(`${digest} read back as ${read}`);
    });
    expect(mismatched).toEqual([]);
  });
});

/** `host:port` of the master serving `slot`, as the cluster reports it. */
async function masterOf(redis: Cluster, slot: number): Promise<string> {
  const ranges = await redis.cluster('SLOTS');
  const master = ranges.find(([start, end]) => slot >= start && slot <= end)?.[2];
  if (master === undefined) throw new Error(`no master serves slot ${slot}`);
  return `${master[0]}:${master[1]}`;
}

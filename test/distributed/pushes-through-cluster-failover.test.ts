import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  BatchCheckLayerAvailabilityCommand,
  CompleteLayerUploadCommand,
  CreateRepositoryCommand,
} from '@aws-sdk/client-ecr';
import { startEmbeddedRedisCluster } from '@longshore/embedded-redis';
import { createKeys } from '@longshore/metadata';
import { createRedisConnection } from '@longshore/queue';
import type { Cluster } from 'ioredis';
import { describe, expect, it, onTestFinished, vi } from 'vitest';
import { defaultRetryClient, forEachLimited, pushUntil } from '../support/chaos-pushes.js';
import { downloadedDigest } from '../support/download-layer.js';
import { randomLayer, uploadParts } from '../support/layer-data.js';
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

// REDIS_WAIT_REPLICAS: a completion is acknowledged only once its writes are on a replica, so
// the replica promoted when the master dies right after the acknowledgement holds the layer.
describe('acknowledged completions and Redis replicas (WAIT)', () => {
  it('acknowledges no completion its master has not replicated, and keeps every acknowledged one through a failover', async () => {
    const dataDir = await mkdtemp(join(tmpdir(), 'longshore-wait-failover-'));
    onTestFinished(() => rm(dataDir, { recursive: true, force: true }));
    const cluster = await startEmbeddedRedisCluster({ dataDir, replicasPerMaster: 1, nodeTimeoutMs: 1000 });
    onTestFinished(() => cluster.stop());
    const longshore = await startLongshore({
      env: {
        REDIS_URL: cluster.url,
        REDIS_WAIT_TIMEOUT_MS: '200',
        COMPLETE_WAIT_MS: '2000',
        FINALIZE_ATTEMPTS: '100',
        FINALIZE_BACKOFF_MS: '100',
      },
    });
    onTestFinished(() => longshore.close());
    const redis = createRedisConnection(cluster.url, { name: 'wait-failover-test' }) as Cluster;
    onTestFinished(() => {
      redis.disconnect();
    });

    const repositoryName = 'failover/replicated';
    await longshore.ecr.send(new CreateRepositoryCommand({ repositoryName }));
    const layers = createKeys(longshore.prefix).layers(repositoryName);
    const slot = Number(await redis.cluster('KEYSLOT', layers));
    const owner = await masterOf(redis, slot);
    // A freshly started cluster may still be attaching its replicas: wait until the slot's replica
    // is listed and its master counts it as connected (WAIT skips a master with none, by design).
    const replica = await vi.waitFor(
      async () => {
        const listed = await replicaOf(redis, slot);
        expect(await connectedReplicas(redis, owner)).toBeGreaterThan(0);
        return listed;
      },
      { timeout: 30_000, interval: 100 },
    );

    // The replica of the repository's slot stalls: its master goes on, but replicates nothing.
    cluster.pauseNode(replica);
    const layer = randomLayer(64 * 1024);
    const uploadId = await uploadParts(longshore.ecr, repositoryName, layer.bytes, 64 * 1024);
    const complete = () =>
      longshore.ecr.send(new CompleteLayerUploadCommand({ repositoryName, uploadId, layerDigests: [layer.digest] }));
    const unacknowledged = await complete().then(
      (answer) => `acknowledged ${answer.layerDigest}`,
      (err: Error) => err.name,
    );
    // The master holds the link, the replica cannot: the client was not told it is done.
    expect(await redis.hexists(layers, layer.digest)).toBe(1);
    expect(unacknowledged).toBe('ServerException');

    // Once the replica has caught up, the retried completion is acknowledged...
    cluster.resumeNode(replica);
    const acknowledged = await vi.waitFor(complete, { timeout: 60_000, interval: 200 });
    expect(acknowledged.layerDigest).toBe(layer.digest);
    // ...and the master dies at once: the promoted replica has the layer.
    await cluster.stopNode(owner);
    await vi.waitFor(async () => expect(await masterOf(redis, slot)).toBe(replica), {
      timeout: 30_000,
      interval: 100,
    });
    const { layers: checked } = await longshore.ecr.send(
      new BatchCheckLayerAvailabilityCommand({ repositoryName, layerDigests: [layer.digest] }),
    );
    expect(checked?.[0]?.layerAvailability).toBe('AVAILABLE');
    const read = await downloadedDigest(longshore.ecr, (url) => longshore.fetch(url), repositoryName, layer.digest);
    expect(read).toBe(layer.digest);
  });
});

/** `host:port` of the first replica of the master serving `slot`. */
async function replicaOf(redis: Cluster, slot: number): Promise<string> {
  const ranges = await redis.cluster('SLOTS');
  const replica = ranges.find(([start, end]) => slot >= start && slot <= end)?.[3];
  if (replica === undefined) throw new Error(`slot ${slot} has no replica`);
  return `${replica[0]}:${replica[1]}`;
}

/** How many replicas the master at `hostPort` lists as connected (`ROLE`). */
async function connectedReplicas(redis: Cluster, hostPort: string): Promise<number> {
  const node = redis.nodes('master').find((n) => `${n.options.host}:${n.options.port}` === hostPort);
  if (!node) throw new Error(`no connection to master ${hostPort}`);
  const role = (await node.call('ROLE')) as [string, unknown, unknown];
  return Array.isArray(role[2]) ? role[2].length : 0;
}

/** `host:port` of the master serving `slot`, as the cluster reports it. */
async function masterOf(redis: Cluster, slot: number): Promise<string> {
  const ranges = await redis.cluster('SLOTS');
  const master = ranges.find(([start, end]) => slot >= start && slot <= end)?.[2];
  if (master === undefined) throw new Error(`no master serves slot ${slot}`);
  return `${master[0]}:${master[1]}`;
}

import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, it } from 'vitest';
import { startEmbeddedRedisCluster, type EmbeddedRedisCluster } from '@longshore/embedded-redis';
import { startLongshore, type Longshore } from '../support/longshore-harness.js';
import { rebuildAfterRedisLoss } from '../support/rebuild-index-scenario.js';
import { createS3ClusterPlace, type S3ClusterPlace } from '../support/test-backend.js';

// Issue 18, point 1, on S3 (the private Swift) and a Redis Cluster of this test's own, since
// the scenario empties every master (FLUSHALL on each).
describe('longshore rebuild-index after losing Redis (S3, Redis Cluster)', () => {
  let clusterDir: string;
  let cluster: EmbeddedRedisCluster;
  let place: S3ClusterPlace;
  let longshore: Longshore;

  beforeAll(async () => {
    clusterDir = await mkdtemp(path.join(os.tmpdir(), 'longshore-rebuild-cluster-'));
    cluster = await startEmbeddedRedisCluster({ dataDir: clusterDir });
    place = await createS3ClusterPlace(`rebuild${Math.random().toString(36).slice(2, 8)}`);
    longshore = await startLongshore({ env: { ...place.env, REDIS_URL: cluster.url } });
  }, 180_000);
  afterAll(async () => {
    await longshore?.close();
    await place?.remove();
    await cluster?.stop();
    if (clusterDir) await rm(clusterDir, { recursive: true, force: true });
  });

  it('every image pulls and DescribeImages is unchanged after FLUSHALL on every master and a rebuild', {
    timeout: 600_000,
  }, async () => {
    await rebuildAfterRedisLoss(longshore, async () => {
      for (const node of cluster.nodes) {
        const [host, port] = node.split(':');
        const client = new Redis({ host, port: Number(port) });
        try {
          await client.flushall();
        } finally {
          await client.quit();
        }
      }
    });
  });
});

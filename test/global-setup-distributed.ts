import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestProject } from 'vitest/node';
// By path, as in global-setup.ts: global setup files do not get the `source` resolve condition.
import { startEmbeddedRedisCluster } from '../packages/embedded-redis/src/index.js';
import { startEmbeddedSwift } from '../packages/embedded-swift/src/index.js';
import { acquireSharedServer } from './support/shared-servers.js';

interface DistributedServers {
  s3: { endpoint: string; region: string; accessKeyId: string; secretAccessKey: string };
  redisClusterUrl: string;
}

/**
 * For the `distributed` and `e2e-s3-cluster` projects: starts, in parallel, a private single-node
 * OpenStack Swift with its S3 API (installed from the Debian packages when missing and running as
 * root) and a private three-master Redis Cluster, once for the run (both projects get the same
 * ones, test/support/shared-servers.ts), and hands them to the tests as `inject('s3')` and
 * `inject('redisClusterUrl')`. Tests isolate themselves by bucket and key prefix.
 */
export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const servers = await acquireSharedServer('swift-and-redis-cluster', startDistributedServers);
  project.provide('s3', servers.value.s3);
  project.provide('redisClusterUrl', servers.value.redisClusterUrl);
  return () => servers.release();
}

async function startDistributedServers(): Promise<{ value: DistributedServers; stop: () => Promise<void> }> {
  const dataDir = await mkdtemp(join(tmpdir(), 'longshore-test-distributed-'));
  const log = (line: string): void => {
    if (/error|traceback|exception/i.test(line)) console.error(`[distributed setup] ${line}`);
  };
  const [swift, cluster] = await Promise.allSettled([
    startEmbeddedSwift({ dataDir: join(dataDir, 'swift'), log }),
    startEmbeddedRedisCluster({ dataDir: join(dataDir, 'redis-cluster') }),
  ]);
  const stop = async (): Promise<void> => {
    await Promise.all([
      swift.status === 'fulfilled' ? swift.value.stop() : undefined,
      cluster.status === 'fulfilled' ? cluster.value.stop() : undefined,
    ]);
    await rm(dataDir, { recursive: true, force: true });
  };
  if (swift.status === 'rejected' || cluster.status === 'rejected') {
    await stop();
    throw swift.status === 'rejected' ? swift.reason : (cluster as PromiseRejectedResult).reason;
  }
  const { endpoint, region, accessKeyId, secretAccessKey } = swift.value;
  return {
    value: { s3: { endpoint, region, accessKeyId, secretAccessKey }, redisClusterUrl: cluster.value.url },
    stop,
  };
}

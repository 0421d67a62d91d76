import { rename, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { RedisClient } from '@longshore/queue';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startLongshore, type Longshore } from '../support/longshore-harness.js';

interface Readiness {
  status: string;
  checks: { name: string; ok: boolean; error?: string }[];
}

// /readyz checks Redis, the storage and a worker's heartbeat. Filesystem storage only (the e2e
// project): the storage is made unwritable by putting a file where its directory was.
describe('/readyz', () => {
  let longshore: Longshore;
  let redis: RedisClient;
  beforeAll(async () => {
    longshore = await startLongshore({ workers: 0 });
    redis = longshore.connectRedis();
  });
  afterAll(async () => {
    redis?.disconnect();
    await longshore?.close();
  });

  const readiness = async () => {
    const answer = await longshore.fetch('/readyz', {}, 'anonymous');
    const body = (await answer.json()) as Readiness;
    const failing = body.checks.filter((c) => !c.ok).map((c) => c.name);
    return { status: answer.status, failing };
  };

  it('is 503 with no worker, 200 once one heartbeats, 503 once it stops or its heartbeat is stale', async () => {
    expect(await readiness()).toEqual({ status: 503, failing: ['worker'] });
    const worker = await longshore.startWorker();
    expect(await readiness()).toEqual({ status: 200, failing: [] });
    // A worker that stops cleanly takes itself off at once.
    await worker.stop();
    expect(await readiness()).toEqual({ status: 503, failing: ['worker'] });

    // A worker killed outright leaves its last heartbeat behind; once it is older than the 15 s
    // window (set so here, rather than waited for), nobody is consuming the queue.
    const killed = await longshore.startWorker();
    const heartbeats = await redis.zrange(longshore.keys.workers, 0, -1);
    expect(heartbeats).toHaveLength(1);
    await killed.kill();
    await redis.zadd(longshore.keys.workers, Date.now() - 20_000, heartbeats[0]!);
    expect(await readiness()).toEqual({ status: 503, failing: ['worker'] });

    await longshore.startWorker();
    expect(await readiness()).toEqual({ status: 200, failing: [] });
  });

  it('is 503 naming the storage while the storage cannot be written, and 200 once it can', async () => {
    expect(await readiness()).toEqual({ status: 200, failing: [] });
    const storageDir = path.join(longshore.dataDir, 'storage');
    await rename(storageDir, `${storageDir}.away`);
    await writeFile(storageDir, 'not a directory');
    try {
      expect(await readiness()).toEqual({ status: 503, failing: ['storage'] });
    } finally {
      await rm(storageDir);
      await rename(`${storageDir}.away`, storageDir);
    }
    expect(await readiness()).toEqual({ status: 200, failing: [] });
  });
});

import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { CreateRepositoryCommand, DescribeRepositoriesCommand, ServerException } from '@aws-sdk/client-ecr';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { startEmbeddedRedis, type EmbeddedRedis } from '../../packages/embedded-redis/src/index.js';
import { downloadedDigest } from '../support/download-layer.js';
import { startLauncher, type LauncherRun } from '../support/launcher-harness.js';
import { pushLayer, randomLayer, type Layer } from '../support/layer-data.js';
import { startLongshore, type Longshore } from '../support/longshore-harness.js';
import { httpStatusOf, rejectionOf } from '../support/rejection.js';

const cleanups: (() => Promise<void>)[] = [];
afterAll(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup();
});

describe('the embedded Redis killed under npm start', () => {
  it('is restarted by the launcher within seconds, with every acknowledged layer intact', async () => {
    const run: LauncherRun = await startLauncher({
      embeddedRedis: true,
      env: { API_PROCESSES: '1', WORKER_PROCESSES: '1' },
    });
    cleanups.push(() => run.close());
    const repositoryName = 'chaos/redis';
    await run.ecr.send(new CreateRepositoryCommand({ repositoryName }));
    const layers: Layer[] = [];
    for (let i = 0; i < 5; i++) {
      const layer = randomLayer(64 * 1024 + i);
      await pushLayer(run.ecr, repositoryName, layer);
      layers.push(layer);
    }

    const redisPid = run.pidOf('redis');
    process.kill(redisPid, 'SIGKILL');
    const restarted = await run.waitForLine(
      (l) => l.msg === 'process ready' && l.process === 'redis' && l.childPid !== redisPid,
      10_000,
    );
    expect(restarted.restarts).toBe(1);
    await vi.waitFor(async () => expect((await run.fetch('/readyz')).status).toBe(200), { timeout: 10_000 });

    // Nothing acknowledged was lost, and the service takes new pushes.
    for (const layer of layers) {
      expect(await downloadedDigest(run.ecr, run.fetch, repositoryName, layer.digest)).toBe(layer.digest);
    }
    const after = randomLayer(32 * 1024);
    await pushLayer(run.ecr, repositoryName, after);
    expect(await downloadedDigest(run.ecr, run.fetch, repositoryName, after.digest)).toBe(after.digest);
    // Connection errors went to the JSON log, and nothing was printed as plain text on stdout or stderr.
    expect(run.lines.filter((l) => l.msg === 'lost the connection to Redis; reconnecting').length).toBeGreaterThan(0);
    expect(run.lines.filter((l) => l.name === undefined)).toEqual([]);
  });
});

describe('an API whose Redis is gone', () => {
  let redis: EmbeddedRedis;
  let longshore: Longshore;

  it('answers /readyz 503 and requests with a retryable error at once, then recovers', async () => {
    const redisDir = await mkdtemp(path.join(os.tmpdir(), 'longshore-redis-gone-'));
    cleanups.push(() => rm(redisDir, { recursive: true, force: true }));
    redis = await startEmbeddedRedis({ dataDir: redisDir });
    cleanups.push(() => redis.stop()); // whichever run of it is current: after the service has stopped
    longshore = await startLongshore({ env: { REDIS_URL: redis.url } });
    cleanups.push(() => longshore.close());

    await longshore.ecr.send(new CreateRepositoryCommand({ repositoryName: 'gone/r' }));
    // The /v1 request below carries a login token; get it while Redis is still there.
    await longshore.loginToken();

    await redis.stop(); // nothing listens on its port now
    // No waiting on a dead connection: each answer comes while Redis is still down.
    const ready = await longshore.fetch('/readyz', { signal: AbortSignal.timeout(5_000) });
    expect(ready.status).toBe(503);
    expect(await ready.json()).toMatchObject({
      checks: expect.arrayContaining([{ name: 'redis', ok: false, error: expect.any(String) }]),
    });

    const error = await rejectionOf(
      longshore.ecr.send(new DescribeRepositoriesCommand({}), { abortSignal: AbortSignal.timeout(5_000) }),
      ServerException,
    );
    expect(httpStatusOf(error)).toBe(500);
    const status = await longshore.fetch('/v1/uploads/00000000-0000-4000-8000-000000000000', {
      signal: AbortSignal.timeout(5_000),
    });
    expect(status.status).toBe(500);
    expect(await status.json()).toMatchObject({ success: false, error: { code: 'INTERNAL_ERROR' } });

    // Redis back on the same port with the same data: the API reconnects by itself.
    redis = await startEmbeddedRedis({ dataDir: redisDir, port: redis.port });
    await vi.waitFor(async () => expect((await longshore.fetch('/readyz')).status).toBe(200), { timeout: 10_000 });
    const { repositories } = await longshore.ecr.send(new DescribeRepositoriesCommand({}));
    expect(repositories?.map((r) => r.repositoryName)).toEqual(['gone/r']);
  });
});

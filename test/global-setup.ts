import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestProject } from 'vitest/node';
// By path rather than as '@longshore/embedded-redis': vitest loads global setup files in its
// `__vitest__` environment, which does not get the projects' `source` resolve condition, so the
// package name would resolve to dist/ (missing or stale before a build).
import { startEmbeddedRedis } from '../packages/embedded-redis/src/index.js';
import { ensureTestOsPackages } from './support/os-packages.js';
import { acquireSharedServer } from './support/shared-servers.js';

/**
 * Installs the OS packages the tests need when they are missing (as root, with apt-get: a fresh
 * Debian machine needs no other step), then starts one private redis-server for the run's test
 * projects (never a shared or system Redis; every project that lists this setup gets the same one,
 * test/support/shared-servers.ts) and hands its URL to the tests as `inject('redisUrl')`.
 * Tests isolate themselves by key prefix.
 */
export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  await ensureTestOsPackages();
  const redis = await acquireSharedServer('redis', startPrivateRedis);
  project.provide('redisUrl', redis.value.url);
  return () => redis.release();
}

async function startPrivateRedis(): Promise<{ value: { url: string }; stop: () => Promise<void> }> {
  const dataDir = await mkdtemp(join(tmpdir(), 'longshore-test-redis-'));
  try {
    // No AOF: nothing here needs to survive the run, and fsyncs would only slow tests down.
    const redis = await startEmbeddedRedis({ dataDir, appendOnly: false });
    return {
      value: { url: redis.url },
      stop: async () => {
        await redis.stop();
        await rm(dataDir, { recursive: true, force: true });
      },
    };
  } catch (error) {
    await rm(dataDir, { recursive: true, force: true });
    throw error;
  }
}

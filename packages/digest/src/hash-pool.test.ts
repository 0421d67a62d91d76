import { createHash, randomBytes } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { createHashPool } from './hash-pool.js';

describe('hash pool threads', () => {
  const pools: { close(): Promise<void> }[] = [];
  afterAll(() => Promise.all(pools.map((p) => p.close())));

  it('starts no thread until a task needs one, then exits an idle thread after HASH_THREAD_IDLE_MS', async () => {
    const pool = createHashPool(2, { idleMs: 200 });
    pools.push(pool);
    expect(pool.liveThreads()).toBe(0);

    const dir = await mkdtemp(path.join(os.tmpdir(), 'hash-pool-'));
    const file = path.join(dir, 'data');
    const data = randomBytes(3 * 1024 * 1024);
    await writeFile(file, data);
    const range = { path: file, start: 0, end: data.length - 1 };
    // Two tasks at once: both threads start, and both answer correctly.
    const results = await Promise.all([pool.hashFileRange(range), pool.hashFileRanges({ ranges: [range, range] })]);
    expect(results).toEqual([
      createHash('sha256').update(data).digest('hex'),
      createHash('sha256').update(data).update(data).digest('hex'),
    ]);
    expect(pool.liveThreads()).toBeGreaterThan(0);
    expect(pool.liveThreads()).toBeLessThanOrEqual(2);

    await vi.waitFor(() => expect(pool.liveThreads()).toBe(0), { timeout: 10_000, interval: 50 });
    // A thread starts again for the next task.
    expect(await pool.hashFileRange(range)).toBe(results[0]);
    await rm(dir, { recursive: true });
  });

  it('keeps threads that stay busy', async () => {
    const pool = createHashPool(1, { idleMs: 60_000 });
    pools.push(pool);
    const dir = await mkdtemp(path.join(os.tmpdir(), 'hash-pool-'));
    const file = path.join(dir, 'data');
    await writeFile(file, randomBytes(1024 * 1024));
    for (let i = 0; i < 3; i++)
      await pool.checksumFileRange({ path: file, start: 0, end: 1024 * 1024 - 1, algorithm: 'crc32c' });
    expect(pool.liveThreads()).toBe(1);
    await rm(dir, { recursive: true });
  });
});

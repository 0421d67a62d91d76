import { createHash, randomBytes } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { readFile } from 'node:fs/promises';
import { createHashPool } from './hash-pool.js';
import { computePartHashes } from './part-checksum.js';

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

  it("hands a large part's memory back from the thread once it is written and hashed, and reuses it for the next part", async () => {
    const pool = createHashPool(1);
    pools.push(pool);
    const dir = await mkdtemp(path.join(os.tmpdir(), 'hash-pool-'));
    const size = 3 * 1024 * 1024;
    const first = pool.partBuffers.take(size);
    randomBytes(size).copy(first);
    const firstCopy = Buffer.from(first);
    const result = await pool.ingestPart({ path: path.join(dir, '1'), data: first, layerState: new Uint8Array() });
    // Moved to the thread (detached here), written and hashed there, then held for reuse.
    expect(first.buffer.byteLength).toBe(0);
    expect((await readFile(path.join(dir, '1'))).equals(firstCopy)).toBe(true);
    const expected = await computePartHashes(firstCopy, new Uint8Array());
    expect(result.partChecksum).toBe(expected.partChecksum);
    expect(Buffer.from(result.layerState).equals(Buffer.from(expected.layerState))).toBe(true);
    expect(result).not.toHaveProperty('memory');
    expect(pool.partBuffers.heldBytes()).toBe(size);

    // The next part of that size lands in the same memory, and the file gets its own bytes.
    const second = pool.partBuffers.take(size - 5);
    expect(pool.partBuffers.heldBytes()).toBe(0);
    expect(second.buffer.byteLength).toBe(size);
    second.fill(7);
    await pool.ingestPart({ path: path.join(dir, '2'), data: second, layerState: new Uint8Array() });
    expect((await readFile(path.join(dir, '2'))).equals(Buffer.alloc(size - 5, 7))).toBe(true);
    expect(pool.partBuffers.heldBytes()).toBe(size);
    await rm(dir, { recursive: true });
  });
});

import { execFile } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { createHashPool, threadExecArgv } from './hash-pool.js';

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

  it('starts its threads in a process run with a flag that threads refuse when given it explicitly (--trace-gc)', async () => {
    // The built pool, in a Node process of its own started as an operator might (no vitest conditions).
    const builtPool = new URL('../dist/hash-pool.js', import.meta.url).href;
    const script = `
      import { createHashPool } from ${JSON.stringify(builtPool)};
      const pool = createHashPool(1);
      const file = process.argv[1];
      const hex = await pool.hashFileRange({ path: file, start: 0, end: 65535 });
      console.log('sha256=' + hex);
      await pool.close();`;
    const dir = await mkdtemp(path.join(os.tmpdir(), 'hash-pool-'));
    const file = path.join(dir, 'data');
    const data = randomBytes(65_536);
    await writeFile(file, data);
    const { stdout } = await promisify(execFile)(
      process.execPath,
      ['--trace-gc', '--input-type=module', '-e', script, file],
      { cwd: path.dirname(fileURLToPath(import.meta.url)), timeout: 30_000 },
    );
    expect(/^sha256=([0-9a-f]{64})$/m.exec(stdout)?.[1]).toBe(createHash('sha256').update(data).digest('hex'));
    await rm(dir, { recursive: true });
  });

  it("passes the parent's flags on without its resolve conditions, and inherits them when it has none", () => {
    expect(threadExecArgv(['--trace-gc', '--enable-source-maps'])).toBeUndefined();
    expect(threadExecArgv([])).toBeUndefined();
    expect(threadExecArgv(['--conditions', 'source', '--enable-source-maps', '-C', 'x', '--conditions=y'])).toEqual([
      '--enable-source-maps',
    ]);
  });
});

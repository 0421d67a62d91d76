import { randomBytes } from 'node:crypto';
import { constants } from 'node:fs';
import { mkdtemp, open, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ArenaPool, SLAB_BYTES, SLABS_PER_ARENA } from './aligned-slabs.js';
import { openForDirectWrites, writeChunksDirect } from './direct-file-writer.js';

describe('writeChunksDirect', () => {
  let dir: string;
  const arenas = new ArenaPool();
  beforeAll(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'direct-'));
  });
  afterAll(() => rm(dir, { recursive: true, force: true }));

  /** Writes `chunks` into a new file `name`; counts the ordinary reopenings (unaligned tails, refused direct writes). */
  async function writeAll(name: string, chunks: AsyncIterable<Uint8Array>) {
    const file = path.join(dir, name);
    const { handle, direct } = await openForDirectWrites(file);
    const arena = arenas.take()!;
    let reopened = 0;
    try {
      const size = direct
        ? await writeChunksDirect(
            handle,
            () => {
              reopened += 1;
              return open(file, constants.O_WRONLY);
            },
            chunks,
            arena,
          )
        : undefined;
      return { size, direct, reopened, bytes: await readFile(file) };
    } finally {
      await handle.close();
      arenas.give(arena);
    }
  }

  async function* yielding(chunks: Uint8Array[]) {
    for (const [i, chunk] of chunks.entries()) {
      if (i % 40 === 0) await new Promise((resolve) => setImmediate(resolve));
      yield chunk;
    }
  }

  it('writes chunks of any size in order across many slabs, the unaligned tail included', async () => {
    const chunks = Array.from({ length: 300 }, (_, i) => randomBytes(i % 9 === 0 ? 0 : 1 + ((i * 7919) % 90_000)));
    const expected = Buffer.concat(chunks);
    expect(expected.length).toBeGreaterThan(SLAB_BYTES * SLABS_PER_ARENA * 2);
    expect(expected.length % 4096).not.toBe(0);
    const written = await writeAll('many', yielding(chunks));
    expect(written.direct).toBe(true);
    expect(written.size).toBe(expected.length);
    expect(written.bytes.equals(expected)).toBe(true);
    expect(written.reopened).toBe(1);
  });

  it('writes whole slabs straight from the arena (page-aligned, else the disk refuses them) with no second descriptor', async () => {
    const whole = randomBytes(3 * SLAB_BYTES);
    const chunks = Array.from({ length: 48 }, (_, i) => whole.subarray(i * 65_536, (i + 1) * 65_536));
    const written = await writeAll('aligned', yielding(chunks));
    expect(written.size).toBe(whole.length);
    expect(written.bytes.equals(whole)).toBe(true);
    expect(written.reopened).toBe(0);
  });

  it('writes a body shorter than one block, and an empty one', async () => {
    const small = randomBytes(100);
    const written = await writeAll('small', yielding([small]));
    expect(written.size).toBe(100);
    expect(written.bytes.equals(small)).toBe(true);
    const empty = await writeAll('empty', yielding([]));
    expect(empty.size).toBe(0);
    expect(empty.bytes.length).toBe(0);
  });

  it("fails with the source's error once its writes are done", async () => {
    async function* failing() {
      yield randomBytes(SLAB_BYTES + 5000);
      throw new Error('body too long');
    }
    await expect(writeAll('failing', failing())).rejects.toThrow('body too long');
  });

  it('refuses a file that exists, as the coalescing writer does (exclusive create)', async () => {
    await writeAll('taken', yielding([randomBytes(10)]));
    await expect(openForDirectWrites(path.join(dir, 'taken'))).rejects.toMatchObject({ code: 'EEXIST' });
  });
});

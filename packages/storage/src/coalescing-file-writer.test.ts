import { randomBytes } from 'node:crypto';
import { mkdtemp, open, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeChunksCoalesced } from './coalescing-file-writer.js';

describe('writeChunksCoalesced', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'coalesce-'));
  });
  afterAll(() => rm(dir, { recursive: true, force: true }));

  async function writeAll(name: string, chunks: AsyncIterable<Uint8Array>) {
    const handle = await open(path.join(dir, name), 'wx');
    try {
      return await writeChunksCoalesced(handle, chunks);
    } finally {
      await handle.close();
    }
  }

  it('writes every chunk in order, however many arrive while a write is in flight', async () => {
    const chunks = Array.from({ length: 400 }, (_, i) => randomBytes(i % 7 === 0 ? 0 : 1 + ((i * 7919) % 70_000)));
    async function* source() {
      for (const [i, chunk] of chunks.entries()) {
        if (i % 50 === 0) await new Promise((resolve) => setImmediate(resolve));
        yield chunk;
      }
    }
    const size = await writeAll('ordered', source());
    const expected = Buffer.concat(chunks);
    expect(size).toBe(expected.length);
    expect((await readFile(path.join(dir, 'ordered'))).equals(expected)).toBe(true);
  });

  it("fails with the source's error, and with a write's error", async () => {
    async function* failing() {
      yield randomBytes(1000);
      throw new Error('body too long');
    }
    await expect(writeAll('failing', failing())).rejects.toThrow('body too long');

    const handle = await open(path.join(dir, 'read-only'), 'wx');
    await handle.close();
    const readOnly = await open(path.join(dir, 'read-only'), 'r');
    async function* some() {
      yield randomBytes(10);
      yield randomBytes(10);
    }
    await expect(writeChunksCoalesced(readOnly, some())).rejects.toMatchObject({ code: 'EBADF' });
    await readOnly.close();
  });
});

import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createPartStager } from './staged-part-file.js';

describe('staged part files', () => {
  let root: string;
  let staging: string;
  let parts: string;
  beforeEach(async () => {
    root = await mkdtemp(path.join(os.tmpdir(), 'staged-part-'));
    staging = path.join(root, 'staging');
    parts = path.join(root, 'parts');
    await mkdir(parts);
  });
  afterEach(() => rm(root, { recursive: true, force: true }));

  it('writes queued ranges and becomes the part file, leaving nothing staged', async () => {
    const stage = createPartStager(staging);
    const file = await stage();
    const bytes = Buffer.from('0123456789');
    file.write(bytes.subarray(0, 4), 0);
    file.write(bytes.subarray(4), 4);
    await file.adopt(path.join(parts, '1'));
    expect(await readFile(path.join(parts, '1'))).toEqual(bytes);
    expect(await readdir(staging)).toEqual([]);
  });

  it('never replaces an existing part file, nor writes into a missing directory', async () => {
    const stage = createPartStager(staging);
    await writeFile(path.join(parts, '1'), 'first');
    const second = await stage();
    second.write(Buffer.from('second'), 0);
    await expect(second.adopt(path.join(parts, '1'))).rejects.toMatchObject({ code: 'EEXIST' });
    expect(await readFile(path.join(parts, '1'), 'utf8')).toBe('first');
    const third = await stage();
    await expect(third.adopt(path.join(root, 'gone', '1'))).rejects.toMatchObject({ code: 'ENOENT' });
    expect(await readdir(staging)).toEqual([]);
  });

  /** Page-aligned memory (a WebAssembly.Memory's buffer starts on a page), as the ECR door's decode slots are. */
  const pageAligned = (size: number) => {
    const Memory = (
      globalThis as unknown as { WebAssembly: { Memory: new (d: { initial: number }) => { buffer: ArrayBuffer } } }
    ).WebAssembly.Memory;
    const memory = Buffer.from(new Memory({ initial: Math.ceil(size / 65536) }).buffer, 0, size);
    for (let i = 0; i < size; i += 1) memory[i] = (i * 7 + 3) & 0xff;
    return memory;
  };

  it('writes whole blocks of page-aligned memory straight to the disk, the unaligned tail through the page cache', async () => {
    const bytes = pageAligned(3 * 4096 + 100);
    const file = await createPartStager(staging)();
    file.write(bytes.subarray(0, 2 * 4096), 0);
    file.write(bytes.subarray(2 * 4096), 2 * 4096);
    await expect(file.adopt(path.join(parts, '1'))).resolves.toEqual({ direct: true });
    expect((await readFile(path.join(parts, '1'))).equals(bytes)).toBe(true);
  });

  it('says a file was not written direct when whole blocks went through the page cache', async () => {
    const bytes = pageAligned(4 * 4096 + 1);
    // Memory off the page: the kernel refuses it as direct (EINVAL), and the bytes are written all the same.
    const unaligned = await createPartStager(staging)();
    unaligned.write(bytes.subarray(1, 2 * 4096 + 1), 0);
    await expect(unaligned.adopt(path.join(parts, '1'))).resolves.toEqual({ direct: false });
    expect((await readFile(path.join(parts, '1'))).equals(bytes.subarray(1, 2 * 4096 + 1))).toBe(true);
    // A write at a position off the block.
    const offBlock = await createPartStager(staging)();
    offBlock.write(bytes.subarray(0, 100), 0);
    offBlock.write(bytes.subarray(100, 2 * 4096 + 100), 100);
    await expect(offBlock.adopt(path.join(parts, '2'))).resolves.toEqual({ direct: false });
    expect((await readFile(path.join(parts, '2'))).equals(bytes.subarray(0, 2 * 4096 + 100))).toBe(true);
  });

  it('keeps every byte when many writes are in flight at once, queued in any order', async () => {
    const MiB = 1024 * 1024;
    const bytes = pageAligned(9 * MiB + 777);
    const file = await createPartStager(staging)();
    // Nine 1 MiB batches and the tail, queued last-first: each goes to the pool at once.
    const starts = [9 * MiB, ...Array.from({ length: 9 }, (_, i) => (8 - i) * MiB)];
    for (const start of starts) file.write(bytes.subarray(start, Math.min(start + MiB, bytes.length)), start);
    await expect(file.adopt(path.join(parts, '1'))).resolves.toEqual({ direct: true });
    expect((await readFile(path.join(parts, '1'))).equals(bytes)).toBe(true);
    // The same with memory the kernel refuses as direct: every write falls back, none is lost.
    const offPage = await createPartStager(staging)();
    const shifted = bytes.subarray(1, 4 * MiB + 1);
    for (let start = 3 * MiB; start >= 0; start -= MiB) offPage.write(shifted.subarray(start, start + MiB), start);
    await expect(offPage.adopt(path.join(parts, '2'))).resolves.toEqual({ direct: false });
    expect((await readFile(path.join(parts, '2'))).equals(shifted)).toBe(true);
  });

  it('removes a discarded file', async () => {
    const file = await createPartStager(staging)();
    file.write(Buffer.from('bytes'), 0);
    await file.discard();
    expect(await readdir(staging)).toEqual([]);
  });
});

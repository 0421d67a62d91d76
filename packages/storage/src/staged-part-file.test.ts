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

  it('removes a discarded file', async () => {
    const file = await createPartStager(staging)();
    file.write(Buffer.from('bytes'), 0);
    await file.discard();
    expect(await readdir(staging)).toEqual([]);
  });
});

import { createHash, randomBytes } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { PartMissingError, ShortReadError } from '@longshore/storage';
import { createHashPool } from './hash-pool.js';
import { createResumableSha256 } from './digest.js';
import { parseSha256Digest } from './digest.js';
import { partChecksumOf } from './part-checksum.js';

describe('resumable sha256', () => {
  it('gives the same digest when the state is saved and restored between parts', async () => {
    const parts = [randomBytes(1000), randomBytes(70_000), randomBytes(3)];
    let state: Uint8Array | undefined;
    for (const part of parts) {
      const hasher = await createResumableSha256(state);
      hasher.update(part);
      state = hasher.save();
    }
    const digest = (await createResumableSha256(state)).digest();
    const expected = createHash('sha256').update(Buffer.concat(parts)).digest('hex');
    expect(digest).toBe(`sha256:${expected}`);
  });
});

describe('parseSha256Digest', () => {
  it('accepts lowercase sha256 digests only', () => {
    const hex = 'a'.repeat(64);
    expect(parseSha256Digest(`sha256:${hex}`)).toEqual({ algorithm: 'sha256', hex });
    expect(parseSha256Digest(`sha256:${hex.toUpperCase()}`)).toBeUndefined();
    expect(parseSha256Digest(`sha512:${hex}`)).toBeUndefined();
    expect(parseSha256Digest('sha256:abc')).toBeUndefined();
  });
});

describe('hash pool', () => {
  const pool = createHashPool(2);
  afterAll(() => pool.close());

  it('hashes byte ranges of a file on its threads', async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'hash-pool-'));
    const data = randomBytes(5 * 1024 * 1024 + 17);
    const file = path.join(dir, 'data');
    await writeFile(file, data);
    const ranges = [
      [0, 1023],
      [1024, 5 * 1024 * 1024 + 16],
      [7, 7],
    ] as const;
    const results = await Promise.all(ranges.map(([start, end]) => pool.hashFileRange({ path: file, start, end })));
    ranges.forEach(([start, end], i) => {
      expect(results[i]).toBe(
        createHash('sha256')
          .update(data.subarray(start, end + 1))
          .digest('hex'),
      );
    });
    // Failures cross the thread as codes and arrive as the typed storage errors.
    await expect(pool.hashFileRange({ path: file, start: 0, end: data.length })).rejects.toBeInstanceOf(ShortReadError);
    const missing = path.join(dir, 'missing');
    await expect(pool.hashFileRanges({ ranges: [{ path: missing, start: 0, end: 0 }] })).rejects.toBeInstanceOf(
      PartMissingError,
    );
    await expect(
      pool.checksumFileRange({ path: missing, start: 0, end: 0, algorithm: 'crc32c' }),
    ).rejects.toBeInstanceOf(PartMissingError);
    await rm(dir, { recursive: true });
  });
});

describe('part ingest on the pool', () => {
  const pool = createHashPool(1);
  afterAll(() => pool.close());

  it('writes each part into its own new file, records its CRC32C and carries the layer state from part to part', async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'ingest-'));
    const parts = [randomBytes(300_000), randomBytes(5), randomBytes(70_000)];
    const whole = Buffer.concat(parts);
    let state: Uint8Array = new Uint8Array();
    const files = parts.map((_, i) => path.join(dir, String(i + 1)));
    for (const [i, part] of parts.entries()) {
      const expectedPart = await partChecksumOf(part, 'crc32c');
      const result = await pool.ingestPart({ path: files[i]!, data: Buffer.from(part), layerState: state });
      expect(result.partChecksum).toBe(expectedPart);
      state = result.layerState;
    }
    const { readFile } = await import('node:fs/promises');
    for (const [i, part] of parts.entries()) expect((await readFile(files[i]!)).equals(part)).toBe(true);
    expect((await createResumableSha256(state)).digest()).toBe(
      `sha256:${createHash('sha256').update(whole).digest('hex')}`,
    );
    // A part file is never written twice, and an upload directory that is gone is not recreated.
    await expect(pool.ingestPart({ path: files[0]!, data: randomBytes(3), layerState: state })).rejects.toThrow(
      /EEXIST/,
    );
    await expect(
      pool.ingestPart({ path: path.join(dir, 'gone', '1'), data: randomBytes(3), layerState: state }),
    ).rejects.toThrow(/ENOENT/);
    const ranges = files.map((file, i) => ({ path: file, start: 0, end: parts[i]!.length - 1 }));
    expect(await pool.hashFileRanges({ ranges })).toBe(createHash('sha256').update(whole).digest('hex'));
    await rm(dir, { recursive: true });
  });
});

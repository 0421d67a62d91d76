import { createHash, randomBytes } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { createHashPool } from './hash-pool.js';
import { createResumableSha256 } from './resumable-sha256.js';
import { parseSha256Digest } from './digest.js';

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
    await expect(pool.hashFileRange({ path: file, start: 0, end: data.length })).rejects.toThrow(/short read/);
    await rm(dir, { recursive: true });
  });
});

describe('part ingest on the pool', () => {
  const pool = createHashPool(1);
  afterAll(() => pool.close());

  it('writes parts at their offsets and carries the layer state from part to part', async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'ingest-'));
    const file = path.join(dir, 'uploads', 'data');
    const parts = [randomBytes(300_000), randomBytes(5), randomBytes(70_000)];
    const whole = Buffer.concat(parts);
    let state: Uint8Array = new Uint8Array();
    let offset = 0;
    for (const part of parts) {
      const expectedPart = createHash('sha256').update(part).digest('hex');
      const result = await pool.ingestPart({ path: file, offset, data: Buffer.from(part), layerState: state });
      expect(result.partSha256).toBe(expectedPart);
      state = result.layerState;
      offset += part.length;
    }
    const { readFile } = await import('node:fs/promises');
    expect((await readFile(file)).equals(whole)).toBe(true);
    expect((await createResumableSha256(state)).digest()).toBe(
      `sha256:${createHash('sha256').update(whole).digest('hex')}`,
    );
    await rm(dir, { recursive: true });
  });
});

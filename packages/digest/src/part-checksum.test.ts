import { createHash, randomBytes } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { createHashPool } from './hash-pool.js';
import { createPartChecksum, crc32cImplementation, partChecksumAlgorithm, partChecksumOf } from './part-checksum.js';
import { digestFromState } from './part-checksum.js';

const CHECK = Buffer.from('123456789'); // the CRC catalogue's check input: CRC-32C gives e3069283

async function crc(data: Uint8Array, cuts: number[], implementation: 'native' | 'wasm'): Promise<string> {
  const checksum = await createPartChecksum('crc32c', implementation);
  let at = 0;
  for (const end of [...cuts, data.length]) {
    checksum.update(data.subarray(at, end));
    at = end;
  }
  return checksum.digest();
}

describe('part checksums', () => {
  it('CRC32C gives the catalogue check value, natively where @node-rs/crc32 loads', async () => {
    expect(crc32cImplementation).toBe('native');
    expect(await partChecksumOf(CHECK, 'crc32c')).toBe('crc32c:e3069283');
    expect(await partChecksumOf(new Uint8Array(), 'crc32c')).toBe('crc32c:00000000');
  });

  it('the hash-wasm fallback gives the same values as the native CRC32C, in any split', async () => {
    const data = randomBytes(200_003);
    const whole = await crc(data, [], 'native');
    for (const cuts of [[], [1], [7, 64, 100_000], [199_999]]) {
      expect(await crc(data, cuts, 'native')).toBe(whole);
      expect(await crc(data, cuts, 'wasm')).toBe(whole);
    }
    expect(await crc(CHECK, [4], 'wasm')).toBe('crc32c:e3069283');
  });

  it('catches a single flipped bit anywhere in a part', async () => {
    const data = randomBytes(1 << 20);
    const good = await partChecksumOf(data, 'crc32c');
    for (const bit of [0, 7, 8 * 4096 + 3, 8 * data.length - 1]) {
      const damaged = Buffer.from(data);
      damaged[bit >> 3]! ^= 1 << (bit & 7);
      expect(await partChecksumOf(damaged, 'crc32c')).not.toBe(good);
    }
  });

  it('sha256 stays the bare hex upload records hold today; each format is recognised', async () => {
    const data = randomBytes(1000);
    const sha = await partChecksumOf(data, 'sha256');
    expect(sha).toBe(createHash('sha256').update(data).digest('hex'));
    expect(partChecksumAlgorithm(sha)).toBe('sha256');
    expect(partChecksumAlgorithm(await partChecksumOf(data, 'crc32c'))).toBe('crc32c');
    expect(partChecksumAlgorithm('crc32c:123')).toBeUndefined();
  });
});

describe('part ingest with CRC32C part checksums', () => {
  const pool = createHashPool(1);
  afterAll(() => pool.close());

  it('records crc32c:<hex> for the part while the layer digest stays SHA-256', async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'ingest-crc-'));
    const parts = [randomBytes(300_000), randomBytes(1234)];
    let state: Uint8Array = new Uint8Array();
    for (const [index, part] of parts.entries()) {
      // Each part is written into its own new file, as the filesystem driver's part files are.
      const file = path.join(dir, `part-${index}`);
      const result = await pool.ingestPart({
        path: file,
        data: Buffer.from(part),
        layerState: state,
        checksum: 'crc32c',
      });
      expect(result.partChecksum).toBe(await partChecksumOf(part, 'crc32c'));
      expect(await pool.checksumFileRange({ path: file, start: 0, end: part.length - 1, algorithm: 'crc32c' })).toBe(
        result.partChecksum,
      );
      state = result.layerState;
    }
    expect(await digestFromState(state)).toBe(
      `sha256:${createHash('sha256').update(Buffer.concat(parts)).digest('hex')}`,
    );
    await rm(dir, { recursive: true });
  });
});

describe('checksums of stored ranges on the pool', () => {
  const pool = createHashPool(1);
  afterAll(() => pool.close());

  it('match the checksum of the bytes that arrived, and differ once the stored copy is damaged', async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'checksum-'));
    const file = path.join(dir, 'data');
    const data = randomBytes(5 * 1024 * 1024 + 9);
    await writeFile(file, data);
    const part = Buffer.from(data.subarray(1000, 5 * 1024 * 1024)); // a copy: the file is damaged below
    const range = { path: file, start: 1000, end: 5 * 1024 * 1024 - 1 };
    for (const algorithm of ['crc32c', 'sha256'] as const) {
      expect(await pool.checksumFileRange({ ...range, algorithm })).toBe(await partChecksumOf(part, algorithm));
    }
    data[2_000_000]! ^= 0x10;
    await writeFile(file, data);
    expect(await pool.checksumFileRange({ ...range, algorithm: 'crc32c' })).not.toBe(
      await partChecksumOf(part, 'crc32c'),
    );
    await rm(dir, { recursive: true });
  });
});

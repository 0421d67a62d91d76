import { createHash, randomBytes } from 'node:crypto';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { computePartHashes, createHashPool, digestFromState } from '@longshore/digest';
import { PartPrehash, type PartPrehashOptions } from './part-prehash.js';

const MiB = 1024 * 1024;

/** A part's bytes in shared memory, as a decode slot holds them (decode-buffers.ts). */
function inSharedMemory(bytes: Uint8Array): Buffer {
  const buffer = Buffer.from(new SharedArrayBuffer(bytes.length + 4096), 0, bytes.length);
  buffer.set(bytes);
  return buffer;
}

describe('a part hashed on hash threads as its decoded bytes arrive', () => {
  const pool = createHashPool(2);
  afterAll(() => pool.close());

  it('gives, for random part splits and arrival points, the one-shot SHA-256 and each part checksum (or none when not taken)', async () => {
    const layer = randomBytes(7 * MiB + 12_345);
    await fc.assert(
      fc.asyncProperty(
        // Part ends and arrival points as fractions of the layer / of each part.
        fc.uniqueArray(fc.integer({ min: 1, max: layer.length - 1 }), { maxLength: 4 }),
        fc.array(fc.double({ min: 0, max: 1, noNaN: true }), { maxLength: 12 }),
        fc.boolean(),
        async (cuts, arrivals, checksum) => {
          const ends = [...cuts.sort((a, b) => a - b), layer.length];
          let from = '';
          let start = 0;
          for (const end of ends) {
            const part = layer.subarray(start, end);
            const buffer = inSharedMemory(part);
            const guessed: boolean[] = [];
            const prehash = new PartPrehash({ pool, from, checksum, hashed: (_, hit) => guessed.push(hit) });
            for (const at of [...arrivals].sort((a, b) => a - b)) prehash.decoded(buffer, Math.floor(at * part.length));
            const prehashed = prehash.finish(buffer.subarray(0, part.length));
            expect(prehashed?.from).toBe(from);
            const hashes = await prehashed!.hashes();
            const expected = await computePartHashes(part, Buffer.from(from, 'base64'));
            // Parts recorded with a boot mark take no CRC32C (part-writer.ts).
            expect(hashes?.partChecksum).toBe(checksum ? expected.partChecksum : '');
            expect(Buffer.from(hashes!.layerState)).toEqual(Buffer.from(expected.layerState));
            await prehash.settled();
            from = Buffer.from(hashes!.layerState).toString('base64');
            start = end;
          }
          const oneShot = `sha256:${createHash('sha256').update(layer).digest('hex')}`;
          expect(await digestFromState(Buffer.from(from, 'base64'))).toBe(oneShot);
        },
      ),
      { numRuns: 12 },
    );
  });

  it('hashes nothing when the part is not in shared memory, or outgrew the buffer it began in', async () => {
    const part = randomBytes(2 * MiB);
    const fresh = new PartPrehash({ pool, from: '', checksum: true, hashed: () => undefined });
    fresh.decoded(Buffer.from(part), part.length);
    expect(fresh.finish(Buffer.from(part))).toBeUndefined();

    const grown = new PartPrehash({ pool, from: '', checksum: true, hashed: () => undefined });
    const first = inSharedMemory(part);
    grown.decoded(first, MiB + 1);
    grown.decoded(inSharedMemory(part), part.length);
    expect(grown.finish(first.subarray(0, part.length))).toBeUndefined();
    await grown.settled();
  });

  it('lets the memory go only once no batch reads it, and starts none afterwards', async () => {
    // A pool whose batches finish when the test says so.
    const finishes: (() => void)[] = [];
    const gated: PartPrehashOptions['pool'] = {
      advancePart: (task) => new Promise((resolve) => finishes.push(() => resolve(task.progress))),
    };
    const buffer = inSharedMemory(randomBytes(4 * MiB));
    const prehash = new PartPrehash({ pool: gated, from: '', checksum: true, hashed: () => undefined });
    prehash.decoded(buffer, 2 * MiB);
    prehash.decoded(buffer, 3 * MiB); // waits for the batch in flight
    expect(finishes).toHaveLength(1);
    let settled = false;
    const settling = prehash.settled().then(() => {
      settled = true;
    });
    await new Promise((resolve) => setImmediate(resolve));
    expect(settled).toBe(false);
    finishes[0]!();
    await settling;
    // The body broke off: the decoded rest was never sent, and the part has no hashes this way.
    expect(finishes).toHaveLength(1);
    expect(prehash.finish(buffer)).toBeUndefined();
  });

  it('stops, leaving the part to be hashed whole, when the pool cannot take a batch at all', async () => {
    const refusing: PartPrehashOptions['pool'] = {
      advancePart: () => {
        throw new Error('no thread could start');
      },
    };
    const buffer = inSharedMemory(randomBytes(3 * MiB));
    const prehash = new PartPrehash({ pool: refusing, from: '', checksum: true, hashed: () => undefined });
    expect(() => prehash.decoded(buffer, 2 * MiB)).not.toThrow();
    expect(prehash.finish(buffer)).toBeUndefined();
    await prehash.settled();
  });
});

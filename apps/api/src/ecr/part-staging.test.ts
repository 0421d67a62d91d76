import type { StagedPartFile } from '@longshore/storage';
import { describe, expect, it } from 'vitest';
import { PartStaging } from './part-staging.js';

/** A staged file that records the ranges written to it (unit test of the batching alone). */
function recordingFile() {
  const writes: [from: number, to: number][] = [];
  const file: StagedPartFile = {
    write: (bytes, position) => void writes.push([position, position + bytes.byteLength]),
    adopt: async () => ({ direct: true }),
    discard: async () => undefined,
  };
  return { file, writes };
}

describe('PartStaging', () => {
  it('writes batches that start and end on 4 KiB blocks, but for the part’s last bytes', async () => {
    const { file, writes } = recordingFile();
    const staging = new PartStaging(async () => file);
    const size = 3 * 1024 * 1024 + 12_345;
    const buffer = Buffer.from(new SharedArrayBuffer(size));
    // The decode goes on in steps that end anywhere (3-byte base64 groups, socket chunks).
    for (let decoded = 777_777; decoded < size; decoded += 777_777) staging.decoded(buffer, decoded);
    expect(staging.finish(size)).toBeDefined();
    await staging.settled();
    expect(writes.length).toBeGreaterThan(2);
    let next = 0;
    for (const [from, to] of writes) {
      expect(from).toBe(next);
      expect(from % 4096).toBe(0);
      next = to;
    }
    expect(next).toBe(size);
    for (const [, to] of writes.slice(0, -1)) expect(to % 4096).toBe(0);
  });
});

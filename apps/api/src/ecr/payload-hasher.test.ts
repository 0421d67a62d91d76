import { createHash, randomBytes } from 'node:crypto';
import { createHashPool, type HashPool } from '@longshore/digest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { inlinePayloadHasher, threadPayloadHasher } from './payload-hasher.js';

describe('payload hashers', () => {
  let pool: HashPool;
  beforeAll(() => {
    pool = createHashPool(2);
  });
  afterAll(() => pool.close());

  /** A body cut into chunks of uneven sizes, some owning their memory, some views on a larger buffer. */
  function chunked(size: number): { whole: Buffer; chunks: Buffer[] } {
    const whole = randomBytes(size);
    const chunks: Buffer[] = [];
    for (let at = 0, i = 0; at < size; i += 1) {
      const length = Math.min(size - at, [65_536, 1, 300_000, 4096, 1_048_577][i % 5]!);
      const piece = whole.subarray(at, at + length);
      chunks.push(i % 2 === 0 ? Buffer.from(piece) : piece);
      at += length;
    }
    return { whole, chunks };
  }

  it.each([0, 10, 2 * 1024 * 1024, 7 * 1024 * 1024 + 3])('hash a %i-byte body on threads as here', async (size) => {
    const { whole, chunks } = chunked(size);
    const expected = createHash('sha256').update(whole).digest('hex');
    const threaded = threadPayloadHasher(pool);
    const inline = inlinePayloadHasher();
    for (const chunk of chunks) inline.update(chunk);
    for (const chunk of chunks) threaded.update(chunk);
    expect(await inline.digest()).toBe(expected);
    expect(await threaded.digest()).toBe(expected);
  });

  it('answers a failed thread as an error of the digest', async () => {
    const failing = threadPayloadHasher({ advanceSha256: () => Promise.reject(new Error('thread gone')) });
    failing.update(randomBytes(3 * 1024 * 1024));
    await expect(failing.digest()).rejects.toThrow('thread gone');
  });
});

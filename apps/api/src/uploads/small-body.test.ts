import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { RequestTimeoutException, RequestValidationError } from '@longshore/domain';
import { readSmallBody } from './small-body.js';

const roomy = { idleMs: 60_000, maxMs: 60_000 };
const noLimit = { maxBytes: Number.MAX_SAFE_INTEGER, tooLong: () => new Error('unexpected') };

describe('readSmallBody', () => {
  it('reads a body of the declared length whole, however it was split', async () => {
    const body = new PassThrough();
    const reading = readSmallBody(body, 7, roomy, noLimit);
    body.write(Buffer.from('abc'));
    body.write(Buffer.from('defg'));
    body.end();
    expect((await reading).toString()).toBe('abcdefg');
  });

  it('refuses a body shorter than declared, as a streamed part is refused', async () => {
    const body = new PassThrough();
    const reading = readSmallBody(body, 10, roomy, noLimit);
    body.end(Buffer.from('abc'));
    const error = await reading.catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RequestValidationError);
    expect((error as Error).message).toBe('The part body has 3 bytes, but its range has 10');
  });

  it('refuses and destroys a body longer than declared, or over the limit', async () => {
    const longer = new PassThrough();
    const reading = readSmallBody(longer, 2, roomy, noLimit);
    longer.end(Buffer.from('abc'));
    expect(((await reading.catch((e: unknown) => e)) as Error).message).toBe(
      'The part body is longer than its range of 2 bytes',
    );
    expect(longer.destroyed).toBe(true);
    const tooLarge = new Error('too large');
    const over = new PassThrough();
    const limited = readSmallBody(over, 5, roomy, { maxBytes: 4, tooLong: () => tooLarge });
    over.end(Buffer.from('abcde'));
    expect(await limited.catch((e: unknown) => e)).toBe(tooLarge);
  });

  it('fails a body that goes idle with a retryable RequestTimeoutException, and destroys it', async () => {
    const body = new PassThrough();
    const reading = readSmallBody(body, 10, { idleMs: 50, maxMs: 60_000 }, noLimit);
    body.write(Buffer.from('abc'));
    const error = await reading.catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RequestTimeoutException);
    expect((error as Error).message).toMatch(/sent no bytes for 50 ms/);
    expect(body.destroyed).toBe(true);
  });

  it('answers a body whose client went away as short', async () => {
    const body = new PassThrough();
    const reading = readSmallBody(body, 10, roomy, noLimit);
    body.write(Buffer.from('abc'));
    body.destroy();
    expect(((await reading.catch((e: unknown) => e)) as Error).message).toBe(
      'The part body has 3 bytes, but its range has 10',
    );
  });
});

import { describe, expect, it } from 'vitest';
import { RequestTimeoutException } from '@longshore/domain';
import { withBodyDeadlines } from './body-deadlines.js';

/** A body the test feeds by hand; `returned` tells whether the consumer let go of it. */
function handFed() {
  const queue: Uint8Array[] = [];
  let wake: (() => void) | undefined;
  let ended = false;
  const state = { returned: false };
  const body: AsyncIterable<Uint8Array> = {
    [Symbol.asyncIterator]: () => ({
      async next() {
        while (queue.length === 0 && !ended) await new Promise<void>((resolve) => (wake = resolve));
        const value = queue.shift();
        return value ? { value, done: false } : { value: undefined, done: true };
      },
      async return() {
        state.returned = true;
        return { value: undefined, done: true };
      },
    }),
  };
  return {
    body,
    state,
    push(bytes: Uint8Array) {
      queue.push(bytes);
      wake?.();
    },
    end() {
      ended = true;
      wake?.();
    },
  };
}

async function collect(source: AsyncIterable<Uint8Array>): Promise<number> {
  let bytes = 0;
  for await (const chunk of source) bytes += chunk.byteLength;
  return bytes;
}

describe('withBodyDeadlines', () => {
  it('passes a body that ends in time through unchanged', async () => {
    const fed = handFed();
    const reading = collect(withBodyDeadlines(fed.body, { idleMs: 60_000, maxMs: 60_000 }));
    fed.push(new Uint8Array(3));
    fed.push(new Uint8Array(4));
    fed.end();
    expect(await reading).toBe(7);
  });

  it('fails a body that goes idle with a retryable RequestTimeoutException, and lets go of it', async () => {
    const fed = handFed();
    fed.push(new Uint8Array(10));
    const error = await collect(withBodyDeadlines(fed.body, { idleMs: 50, maxMs: 60_000 })).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RequestTimeoutException);
    expect((error as RequestTimeoutException).permanent).toBe(false);
    expect((error as Error).message).toMatch(/sent no bytes for 50 ms/);
    expect(fed.state.returned).toBe(true);
  });

  it('fails a body that keeps trickling past the longest duration', async () => {
    const fed = handFed();
    const reading = collect(withBodyDeadlines(fed.body, { idleMs: 60_000, maxMs: 100 }));
    fed.push(new Uint8Array(1));
    const error = await reading.catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RequestTimeoutException);
    expect((error as Error).message).toMatch(/longer than 100 ms/);
  });
});

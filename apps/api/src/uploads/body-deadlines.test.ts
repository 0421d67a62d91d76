import { describe, expect, it, vi } from 'vitest';
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

describe('withBodyDeadlines with a visitor', () => {
  it('shows the visitor every chunk before passing it on, then the end', async () => {
    const fed = handFed();
    const seen: string[] = [];
    const visitor = {
      take: (chunk: Uint8Array) => seen.push(`take ${chunk.byteLength}`),
      ended: () => seen.push('ended'),
    };
    const passed: number[] = [];
    const reading = (async () => {
      for await (const chunk of withBodyDeadlines(fed.body, { idleMs: 60_000, maxMs: 60_000 }, visitor)) {
        passed.push(chunk.byteLength);
        seen.push(`passed ${chunk.byteLength}`);
      }
    })();
    fed.push(new Uint8Array(3));
    fed.push(new Uint8Array(5));
    fed.end();
    await reading;
    expect(seen).toEqual(['take 3', 'passed 3', 'take 5', 'passed 5', 'ended']);
    expect(passed).toEqual([3, 5]);
  });

  it('fails the body with what the visitor throws for a chunk, and lets go of it', async () => {
    const fed = handFed();
    const refusal = new Error('too long');
    const visitor = {
      take: (chunk: Uint8Array) => {
        if (chunk.byteLength > 4) throw refusal;
      },
      ended: () => undefined,
    };
    fed.push(new Uint8Array(2));
    fed.push(new Uint8Array(9));
    const error = await collect(withBodyDeadlines(fed.body, { idleMs: 60_000, maxMs: 60_000 }, visitor)).catch(
      (e: unknown) => e,
    );
    expect(error).toBe(refusal);
    expect(fed.state.returned).toBe(true);
  });

  it('fails the body with what the visitor throws at its end, before the consumer sees it end', async () => {
    const fed = handFed();
    const short = new Error('short');
    const visitor = {
      take: () => undefined,
      ended: () => {
        throw short;
      },
    };
    fed.push(new Uint8Array(2));
    fed.end();
    const error = await collect(withBodyDeadlines(fed.body, { idleMs: 60_000, maxMs: 60_000 }, visitor)).catch(
      (e: unknown) => e,
    );
    expect(error).toBe(short);
  });

  it('does not count the time the consumer holds a chunk as idle', async () => {
    vi.useFakeTimers();
    try {
      const fed = handFed();
      const source = withBodyDeadlines(fed.body, { idleMs: 50, maxMs: 60_000 });
      fed.push(new Uint8Array(1));
      expect((await source.next()).value).toHaveLength(1);
      // The consumer holds the chunk (e.g. waits for the disk) far longer than the idle deadline.
      await vi.advanceTimersByTimeAsync(500);
      fed.push(new Uint8Array(2));
      expect((await source.next()).value).toHaveLength(2);
      // Waiting for a chunk that does not come is idle time.
      const stalled = source.next().catch((e: unknown) => e);
      await vi.advanceTimersByTimeAsync(60);
      expect(await stalled).toBeInstanceOf(RequestTimeoutException);
      expect(fed.state.returned).toBe(true);
    } finally {
      vi.useRealTimers();
    }
  });
});

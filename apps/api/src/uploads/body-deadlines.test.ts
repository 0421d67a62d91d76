import { describe, expect, it, vi } from 'vitest';
import { RequestTimeoutException } from '@longshore/domain';
import { PassThrough } from 'node:stream';
import { bodyWithDeadlines, withBodyDeadlines } from './body-deadlines.js';

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

describe('bodyWithDeadlines pushing a request body', () => {
  const roomy = { idleMs: 60_000, maxMs: 60_000 };

  it("passes every chunk in order to the visitor, then to the consumer, and pauses the body while the consumer's promise is pending", async () => {
    const body = new PassThrough();
    const seen: string[] = [];
    const visitor = { take: (c: Uint8Array) => seen.push(`take ${c.byteLength}`), ended: () => seen.push('ended') };
    let release: (() => void) | undefined;
    let held: () => void = () => undefined;
    const holding = new Promise<void>((resolve) => (held = resolve));
    const pushed = bodyWithDeadlines(body, roomy, visitor).pushChunks((chunk) => {
      seen.push(`consume ${chunk.byteLength}`);
      if (chunk.byteLength !== 2) return undefined;
      expect(body.isPaused()).toBe(false);
      held();
      return new Promise<void>((resolve) => (release = resolve));
    });
    body.write(Buffer.alloc(1));
    body.write(Buffer.alloc(2));
    body.write(Buffer.alloc(3));
    body.end();
    await holding;
    expect(body.isPaused()).toBe(true);
    expect(seen).toEqual(['take 1', 'consume 1', 'take 2', 'consume 2']);
    release!();
    await pushed;
    expect(seen).toEqual(['take 1', 'consume 1', 'take 2', 'consume 2', 'take 3', 'consume 3', 'ended']);
  });

  it("fails with the visitor's refusal and destroys the body", async () => {
    const body = new PassThrough();
    const visitor = {
      take: () => {
        throw new Error('longer than its range');
      },
      ended: () => undefined,
    };
    const pushed = bodyWithDeadlines(body, roomy, visitor).pushChunks(() => undefined);
    body.write(Buffer.alloc(4));
    await expect(pushed).rejects.toThrow('longer than its range');
    expect(body.destroyed).toBe(true);
  });

  it('fails when the body ends short (the visitor refuses its end) and when it errors or closes early', async () => {
    const short = new PassThrough();
    const visitor = {
      take: () => undefined,
      ended: () => {
        throw new Error('short body');
      },
    };
    const shortPushed = bodyWithDeadlines(short, roomy, visitor).pushChunks(() => undefined);
    short.end(Buffer.alloc(3));
    await expect(shortPushed).rejects.toThrow('short body');

    const broken = new PassThrough();
    const brokenPushed = bodyWithDeadlines(broken, roomy).pushChunks(() => undefined);
    broken.destroy(new Error('aborted'));
    await expect(brokenPushed).rejects.toThrow('aborted');

    const closed = new PassThrough();
    const closedPushed = bodyWithDeadlines(closed, roomy).pushChunks(() => undefined);
    closed.destroy();
    await expect(closedPushed).rejects.toMatchObject({ code: 'ERR_STREAM_PREMATURE_CLOSE' });
  });

  it("fails with the consumer's rejection", async () => {
    const body = new PassThrough();
    const pushed = bodyWithDeadlines(body, roomy).pushChunks(() => Promise.reject(new Error('disk full')));
    body.write(Buffer.alloc(1));
    await expect(pushed).rejects.toThrow('disk full');
    expect(body.destroyed).toBe(true);
  });

  it('fails a body that sends nothing within the idle deadline with a RequestTimeoutException', async () => {
    vi.useFakeTimers();
    try {
      const body = new PassThrough();
      const pushed = bodyWithDeadlines(body, { idleMs: 1_000, maxMs: 60_000 }).pushChunks(() => undefined);
      const failed = pushed.catch((e: unknown) => e);
      vi.advanceTimersByTime(1_001);
      expect(await failed).toBeInstanceOf(RequestTimeoutException);
      expect(body.destroyed).toBe(true);
    } finally {
      vi.useRealTimers();
    }
  });
});

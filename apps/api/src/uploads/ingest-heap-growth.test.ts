import { describe, expect, it } from 'vitest';
import { createIngestHeapGrowth, YOUNG_GC_BYTES } from './ingest-heap-growth.js';

/** A promise the test settles by hand. */
function deferred() {
  let resolve!: () => void;
  let reject!: (err: Error) => void;
  const promise = new Promise<void>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

describe('createIngestHeapGrowth', () => {
  it("switches to V8's own growth while the first body streams and restores the flag after the last", async () => {
    const set: string[] = [];
    const growth = createIngestHeapGrowth(['--heap-growing-percent=50'], (flag) => set.push(flag));
    const first = deferred();
    const second = deferred();
    const a = growth.during(() => first.promise);
    const b = growth.during(() => second.promise);
    expect(set).toEqual(['--heap-growing-percent=0']);
    expect(growth.active()).toBe(2);
    first.resolve();
    await a;
    expect(set).toEqual(['--heap-growing-percent=0']);
    second.resolve();
    await b;
    expect(set).toEqual(['--heap-growing-percent=0', '--heap-growing-percent=50']);
    expect(growth.active()).toBe(0);
  });

  it('restores the flag when the body fails, and passes the failure on', async () => {
    const set: string[] = [];
    const growth = createIngestHeapGrowth(['--heap-growing-percent=50'], (flag) => set.push(flag));
    await expect(growth.during(() => Promise.reject(new Error('body cut short')))).rejects.toThrow('body cut short');
    expect(set).toEqual(['--heap-growing-percent=0', '--heap-growing-percent=50']);
    expect(growth.active()).toBe(0);
  });

  it('switches nothing when the process leaves the growth to V8 (V8_HEAP_GROWING_PERCENT=0)', async () => {
    const set: string[] = [];
    const growth = createIngestHeapGrowth([], (flag) => set.push(flag));
    expect(await growth.during(async () => 'read')).toBe('read');
    expect(set).toEqual([]);
  });

  it('runs a minor GC after every YOUNG_GC_BYTES streamed, counted across all bodies', () => {
    let collections = 0;
    const growth = createIngestHeapGrowth(
      [],
      () => undefined,
      () => (collections += 1),
    );
    const chunk = 64 * 1024;
    const chunks = YOUNG_GC_BYTES / chunk;
    // Two bodies' chunks interleaved: 1.5 × YOUNG_GC_BYTES in all.
    for (let i = 0; i < (chunks * 3) / 4; i++) {
      growth.passed(chunk);
      growth.passed(chunk);
    }
    expect(collections).toBe(1);
    for (let i = 0; i < chunks / 2; i++) growth.passed(chunk);
    expect(collections).toBe(2);
  });
});

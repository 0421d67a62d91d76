import { describe, expect, it } from 'vitest';
import { createIngestHeapGrowth } from './ingest-heap-growth.js';

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
});

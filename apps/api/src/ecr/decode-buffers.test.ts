import { describe, expect, it } from 'vitest';
import { DecodeBuffers } from './decode-buffers.js';

describe('DecodeBuffers', () => {
  const buffers = () => new DecodeBuffers({ slots: 2, slotBytes: 1024, idleMs: 60_000 });

  it('lends shared slots, each to one request at a time, and reuses one given back', () => {
    const pool = buffers();
    const a = pool.take(1000);
    const b = pool.take(10);
    expect(a.buffer.buffer).toBeInstanceOf(SharedArrayBuffer);
    expect(b.buffer.buffer).toBeInstanceOf(SharedArrayBuffer);
    expect(a.buffer.buffer).not.toBe(b.buffer.buffer);
    expect([a.buffer.length, b.buffer.length]).toEqual([1000, 10]);
    // Every slot is lent: the third request decodes into memory of its own.
    const c = pool.take(100);
    expect(c.buffer.buffer).toBeInstanceOf(ArrayBuffer);
    expect(pool.kept).toBe(2);
    a.release();
    a.release(); // a second release gives nothing back twice
    const d = pool.take(500);
    expect(d.buffer.buffer).toBe(a.buffer.buffer);
    const e = pool.take(500);
    expect(e.buffer.buffer).toBeInstanceOf(ArrayBuffer);
  });

  it('gives a part larger than a slot memory of its own', () => {
    const pool = buffers();
    const big = pool.take(1025);
    expect(big.buffer.buffer).toBeInstanceOf(ArrayBuffer);
    expect(big.buffer.length).toBe(1025);
    expect(pool.kept).toBe(0);
  });

  it('gives a small part memory of its own, so it is never staged', () => {
    const pool = new DecodeBuffers({ slots: 2, slotBytes: 1024, idleMs: 60_000, minBytes: 100 });
    expect(pool.take(99).buffer.buffer).toBeInstanceOf(ArrayBuffer);
    expect(pool.take(100).buffer.buffer).toBeInstanceOf(SharedArrayBuffer);
  });

  it('drops free slots once idle', async () => {
    const pool = new DecodeBuffers({ slots: 2, slotBytes: 1024, idleMs: 5 });
    const lent = pool.take(10);
    lent.release();
    expect(pool.kept).toBe(1);
    await expect.poll(() => pool.kept).toBe(0);
    // A lent slot is never dropped.
    pool.take(10);
    expect(pool.kept).toBe(1);
  });
});

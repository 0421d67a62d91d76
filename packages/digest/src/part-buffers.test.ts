import { describe, expect, it, vi } from 'vitest';
import { createPartBuffers } from './part-buffers.js';

const MiB = 1024 * 1024;

describe('part buffers', () => {
  const options = { maxBytes: 8 * MiB, minBytes: MiB, idleMs: 60_000 };

  it('gives back memory it was handed, as a view of exactly the size asked', () => {
    const buffers = createPartBuffers(options);
    const memory = new ArrayBuffer(3 * MiB);
    buffers.give(memory);
    const taken = buffers.take(2 * MiB);
    expect(taken.buffer).toBe(memory);
    expect(taken.byteLength).toBe(2 * MiB);
    expect(buffers.heldBytes()).toBe(0);
    // Nothing held: fresh memory.
    expect(buffers.take(2 * MiB).buffer).not.toBe(memory);
  });

  it('takes the smallest piece that fits, never one over twice the size, and pools nothing small', () => {
    const buffers = createPartBuffers(options);
    const small = new ArrayBuffer(2 * MiB);
    const large = new ArrayBuffer(5 * MiB);
    buffers.give(large);
    buffers.give(small);
    buffers.give(new ArrayBuffer(MiB / 2));
    expect(buffers.heldBytes()).toBe(7 * MiB);
    expect(buffers.take(MiB / 2).buffer).not.toBe(small);
    expect(buffers.take(2 * MiB).buffer).toBe(small);
    expect(buffers.take(2 * MiB).buffer).not.toBe(large);
    expect(buffers.take(3 * MiB).buffer).toBe(large);
  });

  it('holds at most maxBytes, dropping the smallest pieces first', () => {
    const buffers = createPartBuffers(options);
    const pieces = [2, 3, 4].map((n) => new ArrayBuffer(n * MiB));
    for (const piece of pieces) buffers.give(piece);
    expect(buffers.heldBytes()).toBe(7 * MiB);
    buffers.give(new ArrayBuffer(16 * MiB));
    expect(buffers.heldBytes()).toBe(7 * MiB);
    // The 2 MiB piece went when the 4 MiB one came; the 16 MiB one was never held.
    expect(buffers.take(2 * MiB).buffer).toBe(pieces[1]);
    expect(buffers.heldBytes()).toBe(4 * MiB);
    expect(buffers.take(4 * MiB).buffer).toBe(pieces[2]);
    expect(buffers.heldBytes()).toBe(0);
  });

  it('lets its memory go after idleMs without a return', () => {
    vi.useFakeTimers();
    try {
      const buffers = createPartBuffers({ ...options, idleMs: 1000 });
      buffers.give(new ArrayBuffer(2 * MiB));
      vi.advanceTimersByTime(999);
      expect(buffers.heldBytes()).toBe(2 * MiB);
      buffers.give(new ArrayBuffer(2 * MiB));
      vi.advanceTimersByTime(999);
      expect(buffers.heldBytes()).toBe(4 * MiB);
      vi.advanceTimersByTime(1);
      expect(buffers.heldBytes()).toBe(0);
      buffers.give(new ArrayBuffer(2 * MiB));
      vi.advanceTimersByTime(1000);
      expect(buffers.heldBytes()).toBe(0);
    } finally {
      vi.useRealTimers();
    }
  });
});

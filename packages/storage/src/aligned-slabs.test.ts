import { describe, expect, it } from 'vitest';
import { ARENAS_IN_USE_MAX, ArenaPool, DIRECT_ALIGNMENT, SLAB_BYTES, SLABS_PER_ARENA } from './aligned-slabs.js';

describe('ArenaPool', () => {
  it('lends page-aligned slabs of SLAB_BYTES, SLABS_PER_ARENA per arena', () => {
    const arena = new ArenaPool().take();
    expect(arena?.slabs).toHaveLength(SLABS_PER_ARENA);
    for (const slab of arena!.slabs) {
      expect(slab.byteLength).toBe(SLAB_BYTES);
      expect(slab.byteOffset % DIRECT_ALIGNMENT).toBe(0);
    }
  });

  it('lends at most ARENAS_IN_USE_MAX at once, and one more once one is given back', () => {
    const pool = new ArenaPool();
    const lent = Array.from({ length: ARENAS_IN_USE_MAX }, () => pool.take());
    expect(lent.every((arena) => arena !== undefined)).toBe(true);
    expect(new Set(lent).size).toBe(ARENAS_IN_USE_MAX);
    expect(pool.take()).toBeUndefined();

    pool.give(lent[0]!);
    expect(pool.take()).toBe(lent[0]);
    expect(pool.take()).toBeUndefined();
  });
});

import { describe, expect, it } from 'vitest';
import { isOldEnough, newMark } from './collect-garbage.js';

describe('garbage collection marks', () => {
  it('carry their time: old enough only once the grace period has passed', () => {
    const mark = newMark(1_000_000);
    expect(isOldEnough(mark, 60_000, 1_059_999)).toBe(false);
    expect(isOldEnough(mark, 60_000, 1_060_000)).toBe(true);
    expect(isOldEnough(mark, 0, 1_000_000)).toBe(true);
  });

  it('differ between collections marking at the same moment', () => {
    expect(newMark(5)).not.toBe(newMark(5));
  });

  it('treat an unreadable mark as new, never as old', () => {
    expect(isOldEnough('garbage', 0, Date.now())).toBe(false);
    expect(isOldEnough(':x', 0, Date.now())).toBe(false);
  });
});

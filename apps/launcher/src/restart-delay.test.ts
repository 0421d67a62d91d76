import { describe, expect, it } from 'vitest';
import { RestartDelay } from './restart-delay.js';

describe('RestartDelay', () => {
  it('restarts quickly at first and backs off to 2 s while the child keeps dying', () => {
    const delay = new RestartDelay();
    expect([1, 2, 3, 4, 5, 6].map(() => delay.next(50))).toEqual([100, 250, 500, 1000, 2000, 2000]);
  });

  it('starts over once the child has stayed up more than 10 s', () => {
    const delay = new RestartDelay();
    delay.next(50);
    delay.next(50);
    expect(delay.next(10_001)).toBe(100);
    expect(delay.next(50)).toBe(250);
  });
});

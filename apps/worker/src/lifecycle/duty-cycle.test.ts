import { describe, expect, it } from 'vitest';
import { DutyCycle, restAfter, type DutyCycleClock } from './duty-cycle.js';

/** A clock that only moves when told to (work) or when slept on (rest). */
function manualClock(): DutyCycleClock & { advance(ms: number): void; sleeps: number[] } {
  let t = 1_000;
  const sleeps: number[] = [];
  return {
    sleeps,
    now: () => t,
    advance: (ms) => {
      t += ms;
    },
    sleep: async (ms) => {
      sleeps.push(ms);
      t += ms;
    },
  };
}

describe('restAfter', () => {
  it('rests (100 − duty) ÷ duty times the work', () => {
    expect(restAfter(10, 50)).toBe(10);
    expect(restAfter(10, 25)).toBe(30);
    expect(restAfter(30, 75)).toBe(10);
  });

  it('never rests at 100 percent or after no work', () => {
    expect(restAfter(10, 100)).toBe(0);
    expect(restAfter(0, 20)).toBe(0);
  });
});

describe('DutyCycle', () => {
  it('rests after each step in proportion to that step’s own work', async () => {
    const clock = manualClock();
    const pace = new DutyCycle(40, clock);
    clock.advance(20);
    await pace.rest();
    clock.advance(4);
    await pace.rest();
    expect(clock.sleeps).toEqual([30, 6]);
    expect(pace.workedMs).toBe(24);
    expect(pace.restedMs).toBe(36);
  });

  it('counts the time since the last rest ended, not since it began', async () => {
    const clock = manualClock();
    const pace = new DutyCycle(50, clock);
    clock.advance(10);
    await pace.rest(); // rests 10
    await pace.rest(); // no work since: rests 0, still yields
    expect(clock.sleeps).toEqual([10, 0]);
  });

  it('keeps work at the duty share of the elapsed time', async () => {
    const clock = manualClock();
    const pace = new DutyCycle(30, clock);
    const start = clock.now();
    for (const step of [5, 17, 3, 40, 11]) {
      clock.advance(step);
      await pace.rest();
    }
    expect(pace.workedMs / (clock.now() - start)).toBeCloseTo(0.3, 10);
  });

  it('at 100 percent only yields', async () => {
    const clock = manualClock();
    const pace = new DutyCycle(100, clock);
    clock.advance(50);
    await pace.rest();
    expect(clock.sleeps).toEqual([0]);
  });
});

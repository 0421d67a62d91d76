import { setTimeout as sleepMs } from 'node:timers/promises';

/** How long to rest after `workMs` of work so that work is `dutyPercent` of the time (100: never). */
export function restAfter(workMs: number, dutyPercent: number): number {
  if (dutyPercent >= 100 || workMs <= 0) return 0;
  return (workMs * (100 - dutyPercent)) / dutyPercent;
}

export interface DutyCycleClock {
  /** Monotonic milliseconds. */
  now(): number;
  /** Resolves after `ms` (0: at least one turn of the event loop). */
  sleep(ms: number): Promise<void>;
}

const realClock: DutyCycleClock = { now: () => performance.now(), sleep: (ms) => sleepMs(ms) };

/**
 * Paces a long background job (a lifecycle evaluation) so that it works `dutyPercent` of the
 * wall time: each `rest()` sleeps for (100 − duty) ÷ duty times the work done since the last
 * rest ended, so the pause follows the job's own cost (on a loaded machine a step takes longer
 * and the rest after it too). Every rest also yields the event loop at least once.
 */
export class DutyCycle {
  private workStartedAt: number;
  /** Milliseconds spent working and resting so far. */
  workedMs = 0;
  restedMs = 0;

  constructor(
    readonly dutyPercent: number,
    private readonly clock: DutyCycleClock = realClock,
  ) {
    this.workStartedAt = clock.now();
  }

  async rest(): Promise<void> {
    const worked = this.clock.now() - this.workStartedAt;
    const rest = restAfter(worked, this.dutyPercent);
    this.workedMs += worked;
    const before = this.clock.now();
    await this.clock.sleep(rest);
    const after = this.clock.now();
    this.restedMs += after - before;
    this.workStartedAt = after;
  }
}

import { readFileSync } from 'node:fs';

/** Epoch milliseconds, as the service's time-based rules (push and pull times, lifecycle) read them. */
export type Clock = () => number;

/**
 * The service's clock: `Date.now`, moved by the milliseconds written in CLOCK_OFFSET_FILE when
 * that test-only setting is given (read on every call, so the test harness moves time while the
 * processes run; a missing or empty file is no offset). No request can move it.
 */
export function createClock(offsetFile: string | undefined): Clock {
  if (!offsetFile) return Date.now;
  return () => {
    let offset = 0;
    try {
      offset = Number(readFileSync(offsetFile, 'utf8').trim()) || 0;
    } catch {
      offset = 0;
    }
    return Date.now() + offset;
  };
}

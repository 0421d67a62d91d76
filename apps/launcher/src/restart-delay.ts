/**
 * Restart delays of a supervised child: quick at first (a crash is usually a one-off, and SDK
 * retries give up within seconds), growing if it keeps dying, back to quick once it has stayed
 * up a while.
 */
const RESTART_DELAYS_MS = [100, 250, 500, 1000, 2000];
const STABLE_AFTER_MS = 10_000;

export class RestartDelay {
  private attempts = 0;

  /** The delay before the next start, given how long the last run lasted. */
  next(ranForMs: number): number {
    if (ranForMs > STABLE_AFTER_MS) this.attempts = 0;
    return RESTART_DELAYS_MS[Math.min(this.attempts++, RESTART_DELAYS_MS.length - 1)]!;
  }
}

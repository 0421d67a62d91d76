import type { Config } from '@longshore/config';
import { holdUntilParentReleases } from '../health/parent-release.js';

/** The IPC message a held collection sends its parent (the test harness). */
export interface GcHeldMessage {
  type: 'gc-held';
  point: 'before-sweep';
  /** The digests the collection is about to sweep. */
  digests: string[];
}

/**
 * Test-only hold point of the garbage collection (TEST_HOLD_GC_AT, never set in service and
 * nothing a client can reach): at `before-sweep` each collection tells its parent process which
 * digests it is about to sweep and waits for the parent's `{ type: 'gc-release' }`, so a test
 * runs a push in exactly the window between the reference read and the sweep. Undefined when off.
 */
export function holdGcAt(point: Config['testHoldGcAt']): ((digests: string[]) => Promise<void>) | undefined {
  if (point === 'off') return undefined;
  return (digests) => {
    const held: GcHeldMessage = { type: 'gc-held', point, digests };
    return holdUntilParentReleases(held, 'gc-release');
  };
}

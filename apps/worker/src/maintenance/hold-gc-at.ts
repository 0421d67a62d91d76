import type { Config } from '@longshore/config';

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
  return (digests) =>
    new Promise<void>((resolve) => {
      const onMessage = (message: unknown) => {
        if ((message as { type?: string } | null)?.type !== 'gc-release') return;
        process.off('message', onMessage);
        resolve();
      };
      process.on('message', onMessage);
      const held: GcHeldMessage = { type: 'gc-held', point, digests };
      process.send?.(held);
    });
}

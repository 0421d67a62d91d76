/**
 * For the test-only hold points (TEST_HOLD_GC_AT, TEST_HOLD_LIFECYCLE_AT): sends `held` to the
 * parent process (the test harness) and resolves when the parent answers with a message of type
 * `releaseType`. Never used in service: the hold points are off unless a test sets them.
 */
export function holdUntilParentReleases(held: object, releaseType: string): Promise<void> {
  return new Promise<void>((resolve) => {
    const onMessage = (message: unknown) => {
      if ((message as { type?: string } | null)?.type !== releaseType) return;
      process.off('message', onMessage);
      resolve();
    };
    process.on('message', onMessage);
    process.send?.(held);
  });
}

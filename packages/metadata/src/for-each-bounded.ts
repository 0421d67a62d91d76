/**
 * Runs `step` on every item, at most `limit` at a time (each of `limit` runners takes the next
 * item as it finishes one). After a failure no further item is started; once the running steps
 * have ended, it rejects with the first failure.
 */
export async function forEachBounded<T>(
  items: readonly T[],
  limit: number,
  step: (item: T) => Promise<void>,
): Promise<void> {
  let next = 0;
  const runner = async (): Promise<void> => {
    while (next < items.length) {
      try {
        await step(items[next++]!);
      } catch (err) {
        next = items.length;
        throw err;
      }
    }
  };
  const settled = await Promise.allSettled(Array.from({ length: Math.min(limit, items.length) }, runner));
  const failed = settled.find((s): s is PromiseRejectedResult => s.status === 'rejected');
  if (failed) throw failed.reason;
}

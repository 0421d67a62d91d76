import { setFlagsFromString } from 'node:v8';

/**
 * V8's own old-generation growth while a large body streams in, and V8_HEAP_GROWING_PERCENT again
 * once none does.
 *
 * A streamed body arrives as one new 64 KiB Buffer per socket read, each outside the V8 heap and
 * dead a few milliseconds later (written and hashed). With the tight growth the API runs with
 * (V8_HEAP_GROWING_PERCENT, 50 by default: an old generation of ~20 MiB may grow by ~10 MiB),
 * V8 kept starting incremental marking during such a stream: 77–83 full mark-compacts per GiB
 * pushed (`--trace-gc`), about 5 s of the API's CPU (main thread and V8's helper threads) out
 * of 9. With V8's own factor it was 1 mark-compact and 3.8 s; the young generation's scavenges
 * free the dead chunks. The flag is process-wide and V8 reads it at every full GC, so it is
 * switched for as long as at least one large body streams (`--heap-growing-percent=0`: V8's
 * choice) and restored after the last.
 */
export interface IngestHeapGrowth {
  /** Runs `work` (reading a large body) with V8's own heap growth. */
  during<T>(work: () => Promise<T>): Promise<T>;
  /** Bodies streaming now. */
  active(): number;
}

/**
 * `restoreFlags`: the heap flags the process runs with otherwise (`v8HeapFlags(config)`); none
 * means V8 already picks the growth itself, and nothing is switched.
 */
export function createIngestHeapGrowth(
  restoreFlags: readonly string[],
  setFlag: (flag: string) => void = setFlagsFromString,
): IngestHeapGrowth {
  const restore = restoreFlags.filter((flag) => flag.startsWith('--heap-growing-percent='));
  let streaming = 0;
  return {
    active: () => streaming,
    async during(work) {
      if (restore.length === 0) return work();
      if (streaming++ === 0) setFlag('--heap-growing-percent=0');
      try {
        return await work();
      } finally {
        if (--streaming === 0) for (const flag of restore) setFlag(flag);
      }
    },
  };
}

/** Switches nothing: for processes (and tests) that leave V8's heap flags alone. */
export const unmanagedHeapGrowth: IngestHeapGrowth = createIngestHeapGrowth([]);

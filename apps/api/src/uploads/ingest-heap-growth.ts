import { setFlagsFromString } from 'node:v8';
import { collectYoungGarbage } from '@longshore/digest';

/** A minor GC per this many streamed bytes, process-wide (see `passed`). */
export const YOUNG_GC_BYTES = 8 * 1024 * 1024;

/**
 * V8's own old-generation growth while a large body streams in, and V8_HEAP_GROWING_PERCENT again
 * once none does.
 *
 * A streamed body arrives as one new 64 KiB Buffer per socket read, each outside the V8 heap and
 * dead a few milliseconds later (written and hashed). With the tight growth the API runs with
 * (V8_HEAP_GROWING_PERCENT, 50 then, 100 now: an old generation of ~20 MiB may grow by ~20 MiB),
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
  /**
   * `bytes` of a streamed body went by (hashed, on their way to the file). Each socket read is a
   * fresh Buffer outside the V8 heap, freed only by a GC. With the small young generation the
   * API ran with (CHILD_SEMI_SPACE_MIB=4, now 8) V8 let them pile up until its external-memory trigger
   * started a full mark-compact: 66–68 per GiB over `/v2` (`--trace-gc`), 2.4 s of V8's helper
   * threads. With V8's default semi-space (16 MiB) it scavenges per 32 MiB of young buffers
   * instead (3 mark-compacts), at 11–15 MiB more RSS. So a minor GC (about a millisecond) is
   * run here after every YOUNG_GC_BYTES streamed, across all bodies of the process: 2 mark-
   * compacts per GiB in two runs, helper threads 0.5 s, API peak RSS 106–112 MiB (32 MiB: RSS
   * 153; 16 MiB: one run of 65 mark-compacts at load 14, the background sweeper lagging).
   */
  passed(bytes: number): void;
}

/**
 * `restoreFlags`: the heap flags the process runs with otherwise (`v8HeapFlags(config)`); none
 * means V8 already picks the growth itself, and nothing is switched.
 */
export function createIngestHeapGrowth(
  restoreFlags: readonly string[],
  setFlag: (flag: string) => void = setFlagsFromString,
  collectYoung: () => void = collectYoungGarbage,
): IngestHeapGrowth {
  const restore = restoreFlags.filter((flag) => flag.startsWith('--heap-growing-percent='));
  let streaming = 0;
  let sinceYoungGc = 0;
  return {
    active: () => streaming,
    passed(bytes) {
      sinceYoungGc += bytes;
      if (sinceYoungGc < YOUNG_GC_BYTES) return;
      sinceYoungGc = 0;
      collectYoung();
    },
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
export const unmanagedHeapGrowth: IngestHeapGrowth = createIngestHeapGrowth([], setFlagsFromString, () => undefined);

import { rmSync } from 'node:fs';
import { rm } from 'node:fs/promises';

/**
 * The data directories of finished runs (Longshore's and the peer registry's), removed when the
 * bench ends instead of as each run stops.
 *
 * Why: removing a run's thousands of files frees their inodes, and ext4 without a journal (the
 * root file system of this machine class) passes over inodes freed in the last minute or so when
 * it allocates one (the kernel's `recently_deleted`, checked per candidate inode). For about 35 s
 * after a cleanup, each file the next run created scanned past them: 28.5 % of an API process's
 * samples were in ext4's inode allocation after the previous run's cleanup (cpu25, `perf`), and
 * the next run is always the other registry's (Longshore, then the peer). Kept until the end, no
 * run follows another's cleanup. The cost is disk space: one group's data at once (bench/issue17.sh
 * runs the scenarios in groups, one bench process each).
 */
const discarded = new Set<string>();

/** `dir` is no longer used: it is removed with the others when the bench ends (removeDiscarded). */
export function discardAtEnd(dir: string): void {
  discarded.add(dir);
}

/** Removes every discarded directory (the end of a bench). */
export async function removeDiscarded(): Promise<void> {
  for (const dir of [...discarded]) {
    await rm(dir, { recursive: true, force: true, maxRetries: 3 });
    discarded.delete(dir);
  }
}

// A bench that ends another way (an error, a signal handled by exiting) leaves nothing behind either.
process.once('exit', () => {
  for (const dir of discarded) rmSync(dir, { recursive: true, force: true });
});

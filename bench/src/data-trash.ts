import { rmSync } from 'node:fs';
import { lstat, readdir, rm, truncate } from 'node:fs/promises';
import path from 'node:path';

/**
 * The data directories of finished runs (Longshore's and the peer registry's): their files are
 * emptied as each run stops, and the directories removed when the bench ends.
 *
 * Why not removed at once: removing a run's thousands of files frees their inodes, and ext4 without
 * a journal (the root file system of this machine class) passes over inodes freed in the last
 * minute or so when it allocates one (the kernel's `recently_deleted`, checked per candidate
 * inode). For about 35 s after a cleanup, each file the next run created scanned past them: 28.5 %
 * of an API process's samples were in ext4's inode allocation after the previous run's cleanup
 * (cpu25, `perf`), and the next run is always the other registry's (Longshore, then the peer).
 *
 * Why emptied at once: kept whole, a group's gigabytes stay in the page cache, and a later run's
 * buffered writes pay for reclaiming it (distribution's 1 GiB runs went from ~2.3 to 4.0 s of CPU
 * per GiB in the second and third scenario of a large-layer group, lead s25). Truncating a file
 * gives its blocks and its cached pages back and keeps its inode.
 */
const discarded = new Set<string>();

/** `dir` is no longer used: its files are emptied now, the directory removed when the bench ends (removeDiscarded). */
export async function discardAtEnd(dir: string): Promise<void> {
  discarded.add(dir);
  // Names, not Dirents: a Dirent's parentPath is Node 20.12's, and `engines` allows 20.10.
  const names = await readdir(dir, { recursive: true }).catch(() => [] as string[]);
  for (const name of names) {
    const file = path.join(dir, name);
    const stat = await lstat(file).catch(() => undefined);
    if (stat?.isFile()) await truncate(file, 0).catch(() => undefined);
  }
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

import { execFile } from 'node:child_process';
import { mkdtemp } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import { discardAtEnd } from './data-trash.js';

/**
 * The directory every run's data directory is made in: a fresh one under `parent`, marked for ext4
 * to spread its subdirectories over block groups (`chattr +T`, the Orlov allocator's "top of a
 * directory hierarchy", as for directories under the file system's root). Removed when the bench
 * ends, with the runs' directories (data-trash.ts).
 *
 * Why: on ext4 without a journal (this machine class's root file system) every inode allocation
 * passes over the inodes of its block group freed in the last 60 s (360 s while their inode-table
 * block is dirty), one buffer lookup each. Subdirectories of one plain directory share its group,
 * so a run paid for every deletion made there before it: the other registry's previous run
 * (distribution removes its upload directories as it goes), other work in the temp directory. A
 * 64 KiB file's creation cost 200–800 µs of CPU in such a directory of /tmp and 44–45 µs in a
 * spread one, in the same minutes (lead s26). Spread, each run's directory lands in a group of
 * its own with more free inodes than average, and pays only for its own deletions. Where `chattr`
 * or the flag is not had (another file system), the runs share the parent's placement as before.
 */
export async function spreadDataRoot(parent: string): Promise<{ dir: string; spread: boolean }> {
  const dir = await mkdtemp(path.join(parent, 'longshore-bench-runs-'));
  await discardAtEnd(dir);
  const spread = await promisify(execFile)('chattr', ['+T', dir], { timeout: 5_000 }).then(
    () => true,
    () => false,
  );
  return { dir, spread };
}

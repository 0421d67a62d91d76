import { readdir } from 'node:fs/promises';
import path from 'node:path';

/** Every file under `dir`, as paths relative to it, sorted; [] when `dir` does not exist. */
export async function filesUnder(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true }).catch((err: NodeJS.ErrnoException) => {
    if (err.code === 'ENOENT') return [];
    throw err;
  });
  return entries
    .filter((entry) => entry.isFile())
    .map((entry) => path.relative(dir, path.join(entry.parentPath, entry.name)))
    .sort();
}

/** The entries directly in `dir` (files and directories); [] when it does not exist. */
export async function entriesIn(dir: string): Promise<string[]> {
  return readdir(dir)
    .then((names) => names.sort())
    .catch((err: NodeJS.ErrnoException) => {
      if (err.code === 'ENOENT') return [];
      throw err;
    });
}

/** Where a Longshore data directory keeps blobs and in-progress uploads. */
export function storageDirs(dataDir: string) {
  return { blobs: path.join(dataDir, 'storage', 'blobs'), uploads: path.join(dataDir, 'storage', 'uploads') };
}

/** A blob of one file, at its address itself (the filesystem driver's small blobs). */
const SINGLE_FILE_BLOB = /^(sha256\/[0-9a-f]{2}\/[0-9a-f]{64}|sha512\/[0-9a-f]{2}\/[0-9a-f]{128})$/;

/**
 * The published blobs under a `blobs` directory, as `sha256/<xx>/<hex>`, sorted: a file at that
 * address (one segment), or a directory there holding an `index` (many segments, or any blob
 * published before single-file blobs).
 */
export async function publishedBlobs(blobsDir: string): Promise<string[]> {
  const files = await filesUnder(blobsDir);
  const directories = files.filter((file) => path.basename(file) === 'index').map(path.dirname);
  return [...directories, ...files.filter((file) => SINGLE_FILE_BLOB.test(file.split(path.sep).join('/')))].sort();
}

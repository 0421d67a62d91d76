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

/** The published blobs under a `blobs` directory, as `sha256/<xx>/<hex>` (each holds an `index`). */
export async function publishedBlobs(blobsDir: string): Promise<string[]> {
  return (await filesUnder(blobsDir)).filter((file) => path.basename(file) === 'index').map(path.dirname);
}

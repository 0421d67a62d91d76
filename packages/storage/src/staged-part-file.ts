import { randomBytes } from 'node:crypto';
import { link, mkdir, open, readdir, stat, unlink, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import { writeFully } from './filesystem-files.js';

/**
 * A part's bytes written before the claim that names the part exists (see LocalParts.stagePart):
 * into a new file of a staging directory, then hard-linked to the part's own file. Nothing in
 * the staging directory is ever read as a part; a staged file no claim adopts is removed.
 */
export interface StagedPartFile {
  /**
   * Queues a write of bytes at `position` (the bytes must stay as they are until `adopt` or
   * `discard` settles); a failed write is answered by `adopt`.
   */
  write(bytes: Uint8Array, position: number): void;
  /**
   * Gives the staged bytes the part's own name, once every write settled: created exclusively
   * (the file system's EEXIST), never into a missing directory (ENOENT). The staged name is
   * removed either way.
   */
  adopt(partPath: string): Promise<void>;
  /** Removes the staged file (after a refused body, or when the part was written otherwise). */
  discard(): Promise<void>;
}

/** Staged files older than this, left by a process that died mid-request, are removed. */
const STALE_STAGED_MS = 24 * 60 * 60 * 1000;

/** Opens staged part files in `dir` (created on first use; leftovers of a crash removed then). */
export function createPartStager(dir: string): () => Promise<StagedPartFile> {
  let ready: Promise<void> | undefined;
  return async () => {
    ready ??= mkdir(dir, { recursive: true }).then(() => removeStale(dir));
    await ready;
    const path = join(dir, `${process.pid}-${randomBytes(8).toString('hex')}`);
    return stagedFile(path, await open(path, 'wx', 0o644));
  };
}

function stagedFile(path: string, handle: FileHandle): StagedPartFile {
  let writes: Promise<unknown> = Promise.resolve();
  let failed: unknown;
  let closed: Promise<void> | undefined;
  const close = () => {
    closed ??= writes.then(() => handle.close()).catch(() => undefined);
    return closed;
  };
  return {
    write(bytes, position) {
      writes = writes.then(async () => {
        if (failed) return;
        await writeFully(handle, bytes, position).catch((err: unknown) => {
          failed = err;
        });
      });
    },
    async adopt(partPath) {
      try {
        await close();
        if (failed) throw failed;
        await link(path, partPath);
      } finally {
        await unlink(path).catch(() => undefined);
      }
    },
    async discard() {
      await close();
      await unlink(path).catch(() => undefined);
    },
  };
}

async function removeStale(dir: string): Promise<void> {
  const now = Date.now();
  for (const name of await readdir(dir).catch(() => [])) {
    const file = join(dir, name);
    const info = await stat(file).catch(() => undefined);
    if (info && now - info.mtimeMs > STALE_STAGED_MS) await unlink(file).catch(() => undefined);
  }
}

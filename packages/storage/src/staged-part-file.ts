import { randomBytes } from 'node:crypto';
import { constants } from 'node:fs';
import { link, mkdir, open, readdir, stat, unlink, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import { DIRECT_ALIGNMENT } from './aligned-slabs.js';
import { openForDirectWrites, writeDirectBlocks } from './direct-file-writer.js';
import { writeFully } from './filesystem-files.js';

/**
 * A part's bytes written before the claim that names the part exists (see LocalParts.stagePart):
 * into a new file of a staging directory, then hard-linked to the part's own file. Nothing in
 * the staging directory is ever read as a part; a staged file no claim adopts is removed.
 */
export interface StagedPartFile {
  /**
   * Queues a write of bytes at `position` (the bytes must stay as they are until `adopt` or
   * `discard` settles); a failed write is answered by `adopt`. Writes start at once, side by side
   * (each at its own position; see `stagedFile`). The
   * whole DIRECT_ALIGNMENT blocks of a write at an aligned position go straight to the disk
   * (O_DIRECT) when the file system allows it and the memory is page-aligned (a decode slot is:
   * ecr/decode-buffers.ts); anything else goes through the page cache.
   */
  write(bytes: Uint8Array, position: number): void;
  /**
   * Gives the staged bytes the part's own name, once every write settled: created exclusively
   * (the file system's EEXIST), never into a missing directory (ENOENT). The staged name is
   * removed either way. `direct`: every whole block went straight to the disk, so what a flush
   * has left to write is metadata and at most the last block's bytes.
   */
  adopt(partPath: string): Promise<{ direct: boolean }>;
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
    const { handle, direct } = await openForDirectWrites(path);
    return direct ? stagedFile(path, handle, () => open(path, constants.O_WRONLY)) : stagedFile(path, handle);
  };
}

/**
 * A staged file written through `handle`; with `reopen`, `handle` is O_DIRECT and `reopen` opens
 * the same file for the ordinary writes (unaligned tails, memory the kernel refuses as direct).
 *
 * Why direct: the ECR door's 10 MiB parts written through the page cache cost the API's libuv
 * pool the kernel's copy into fresh page-cache pages, and the flush job's fdatasync wrote them
 * again (four22 measured 1.2 s against 0.18 s per GiB for `/v2`'s streamed parts). Written direct,
 * the flush (a job's or completion's) has only metadata and a tail left.
 *
 * Why side by side: each write goes to the libuv pool as soon as it is queued, instead of after
 * the one before it settled. Chained, each next write waited for the event loop to see the last
 * one done, while the loop was busy decoding the rest of the body: a 10 MiB part's writes were
 * about 6 MiB behind when its claim came back, and the answer waited ~4.5 ms for them (ecr25).
 * Writes cover disjoint ranges (positional writes), so their order does not matter; adopt and
 * discard wait for all of them.
 */
function stagedFile(path: string, handle: FileHandle, reopen?: () => Promise<FileHandle>): StagedPartFile {
  let writes: Promise<unknown> = Promise.resolve();
  let failed: unknown;
  let closed: Promise<void> | undefined;
  let plain: Promise<FileHandle> | undefined;
  /** Cleared after a direct write the kernel refused (EINVAL): the memory is not aligned. */
  let direct = reopen !== undefined;
  /** Whole blocks went through the page cache (a write not at an aligned position, or refused as direct). */
  let cached = reopen === undefined;
  const ordinary = (): Promise<FileHandle> => {
    if (!reopen) return Promise.resolve(handle);
    plain ??= reopen();
    return plain;
  };
  const writeAt = async (bytes: Uint8Array, position: number): Promise<void> => {
    let done = 0;
    if (direct && position % DIRECT_ALIGNMENT === 0) {
      const { written, refused } = await writeDirectBlocks(handle, bytes, position);
      done = written;
      if (refused) direct = false;
    }
    if (done < bytes.byteLength) {
      if (bytes.byteLength - done >= DIRECT_ALIGNMENT) cached = true;
      await writeFully(await ordinary(), bytes.subarray(done), position + done);
    }
  };
  const close = () => {
    closed ??= writes
      .then(async () => {
        await handle.close();
        if (plain) await (await plain).close();
      })
      .catch(() => undefined);
    return closed;
  };
  return {
    write(bytes, position) {
      const written = writeAt(bytes, position).catch((err: unknown) => {
        failed ??= err;
      });
      writes = Promise.all([writes, written]);
    },
    async adopt(partPath) {
      try {
        await close();
        if (failed) throw failed;
        await link(path, partPath);
        return { direct: !cached };
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

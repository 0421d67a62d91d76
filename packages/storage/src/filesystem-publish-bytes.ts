/*
 * A small blob published in one go (the filesystem driver's `publishBytes`) as one file at the
 * blob's address (`blobs/<algorithm>/<xx>/<hex>`): no directory, no index. The bytes go into a
 * file of the session (its one committed part itself, when the blob is that part whole, else a
 * new file written from memory), which is fsynced and renamed to the blob's address; the shard
 * directory is fsynced after. Two fsyncs, against four for a directory of a segment and its
 * index (the segment, the index, the directory, the shard). Every step but the fsyncs runs on
 * the calling thread, where open, write, rename and close cost tens of microseconds each.
 */
import { closeSync, fstatSync, openSync, statSync, writevSync } from 'node:fs';
import { join } from 'node:path';
import type { CompleteStep } from './filesystem-driver.js';
import { fsyncFd, publishIntoShard } from './filesystem-shard-publish.js';

/** Where a small blob's file is made and where it is published. */
export interface BytesPublication {
  /** The upload's directory (it must exist: an aborted session is not recreated). */
  sessionDir: string;
  /**
   * The committed part file the bytes were read from, when the blob is that one part whole: it
   * is published itself (renamed), not written again. Undefined: the bytes are written anew.
   */
  partFile: string | undefined;
  /** The blob's content address (`blobs/<algorithm>/<xx>/<hex>`), as an absolute path. */
  blobPath: string;
}

/**
 * `present`: a blob of the digest was published already (nothing written); `published`: this
 * call published it; `lost`: another session published the digest between our check and our
 * rename (its entry may not be durable yet: the caller syncs it).
 */
export type BytesOutcome = 'present' | 'published' | 'lost';

/** The name, in the session's directory, of a small blob's file written from memory. */
export const BLOB_FILE_NAME = 'blob';

/**
 * Makes the blob's file durable (the part file when it holds exactly the bytes, else
 * `<session>/blob` written from them), waits for `beforeVisible`, renames it to the blob's
 * address (creating the shard directory once per process: `knownShards`) and fsyncs the shard
 * directory. Each step is idempotent: a re-run after a crash before the rename finds the file
 * where it was and syncs and renames it again; after the rename, it finds the blob `present`.
 */
export async function publishBytesInOneGo(
  target: BytesPublication,
  bytes: readonly Uint8Array[],
  knownShards: Set<string>,
  beforeVisible: Promise<unknown> | undefined,
  step: ((step: CompleteStep) => void) | undefined,
): Promise<BytesOutcome> {
  if (isPublishedBlobNow(target.blobPath)) return 'present';
  const size = bytes.reduce((sum, chunk) => sum + chunk.byteLength, 0);
  const { file, fd } = openBlobFile(target, bytes, size);
  try {
    await fsyncFd(fd);
  } finally {
    closeSync(fd);
  }
  step?.('index-written');
  await beforeVisible;
  return publishIntoShard(file, target.blobPath, knownShards, step);
}

/**
 * Whether a blob is published at `blobPath`: a file (one segment, this layout) or a directory
 * with its index (the layout of many segments, and of every blob before single-file blobs).
 */
export function isPublishedBlobNow(blobPath: string): boolean {
  const info = statSync(blobPath, { throwIfNoEntry: false });
  if (info === undefined) return false;
  return info.isFile() || statSync(join(blobPath, 'index'), { throwIfNoEntry: false })?.isFile() === true;
}

/** The file that becomes the blob, open for its fsync: the part file if it holds the bytes, else a new one. */
function openBlobFile(target: BytesPublication, bytes: readonly Uint8Array[], size: number) {
  if (target.partFile !== undefined) {
    const fd = openSync(target.partFile, 'r');
    if (fstatSync(fd).size === size) return { file: target.partFile, fd };
    closeSync(fd);
  }
  const file = join(target.sessionDir, BLOB_FILE_NAME);
  return { file, fd: writeNewFile(file, bytes) };
}

/** Creates (or truncates) `file`, writes every chunk, and answers the open descriptor for the fsync. */
function writeNewFile(file: string, chunks: readonly Uint8Array[]): number {
  const fd = openSync(file, 'w', 0o644);
  try {
    let pending = chunks.filter((chunk) => chunk.byteLength > 0);
    let position = 0;
    while (pending.length > 0) {
      let written = writevSync(fd, pending as Uint8Array[], position);
      position += written;
      // A short write: drop what went, keep the rest of the chunk it stopped in.
      const rest: Uint8Array[] = [];
      for (const chunk of pending) {
        if (written >= chunk.byteLength) {
          written -= chunk.byteLength;
          continue;
        }
        rest.push(written > 0 ? chunk.subarray(written) : chunk);
        written = 0;
      }
      pending = rest;
    }
    return fd;
  } catch (error) {
    closeSync(fd);
    throw error;
  }
}

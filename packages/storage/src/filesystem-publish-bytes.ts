/*
 * A small blob published in one go (the filesystem driver's `publishBytes`): every file step on
 * the calling thread, where open, write, rename and close cost tens of microseconds each, and
 * only the fsyncs off it, issued together. Through `fs.promises` each of the ~20 steps of a
 * completion was a hop through libuv's thread pool and back to the event loop (about half a
 * millisecond each on an idle 2-core machine), one after another.
 */
import { closeSync, mkdirSync, openSync, statSync, writevSync } from 'node:fs';
import { join } from 'node:path';
import type { CompleteStep } from './filesystem-driver.js';
import { errorCode, fsyncFd, publishIntoShard } from './filesystem-shard-publish.js';

/** Where a small blob is assembled and where it is published. */
export interface BytesPublication {
  /** The upload's `publish/` directory (its parent must exist: an aborted session is not recreated). */
  publishDir: string;
  /** The blob's content address (`blobs/<algorithm>/<xx>/<hex>`), as an absolute path. */
  blobDir: string;
  digest: string;
}

/**
 * `present`: a blob of the digest was published already (nothing written); `published`: this
 * call published it; `lost`: another session published the digest between our check and our
 * rename (its entry may not be durable yet: the caller syncs it).
 */
export type BytesOutcome = 'present' | 'published' | 'lost';

/**
 * Writes the bytes as the blob's one segment (`1`) and its index into `publish/`, fsyncs both and
 * the directory together, waits for `beforeVisible`, renames `publish/` to the blob's address
 * (creating the shard directory once per process: `knownShards`) and fsyncs the shard
 * directory. Each step is idempotent: a re-run after a crash rewrites `publish/` and renames.
 */
export async function publishBytesInOneGo(
  target: BytesPublication,
  bytes: readonly Uint8Array[],
  knownShards: Set<string>,
  beforeVisible: Promise<unknown> | undefined,
  step: ((step: CompleteStep) => void) | undefined,
): Promise<BytesOutcome> {
  if (statSync(join(target.blobDir, 'index'), { throwIfNoEntry: false })?.isFile()) return 'present';
  try {
    // Not recursive: an aborted session's directory must not come back.
    mkdirSync(target.publishDir);
  } catch (error) {
    if (errorCode(error) !== 'EEXIST') throw error;
  }
  const size = bytes.reduce((sum, chunk) => sum + chunk.byteLength, 0);
  const index = { digest: target.digest, size, segments: size > 0 ? [{ name: '1', size }] : [] };
  const fds: number[] = [];
  try {
    if (size > 0) fds.push(writeNewFile(join(target.publishDir, '1'), bytes));
    fds.push(writeNewFile(join(target.publishDir, 'index'), [Buffer.from(JSON.stringify(index))]));
    fds.push(openSync(target.publishDir, 'r'));
    // The segment's bytes, the index's, and `publish/`'s entries: one wait for all three.
    await Promise.all(fds.map((fd) => fsyncFd(fd)));
  } finally {
    for (const fd of fds) closeSync(fd);
  }
  step?.('index-written');
  await beforeVisible;
  return publishIntoShard(target.publishDir, target.blobDir, knownShards, step);
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

/*
 * A many-part upload published where its parts lie (the filesystem driver's `completeUpload`):
 * the directory of the session's part files (the session's own; `parts/` in sessions of earlier
 * versions) gets the blob's index beside the committed part files and is itself renamed to the blob's address, one rename however many parts. As for a small blob
 * (filesystem-publish-bytes.ts), every file step runs on the calling thread, where readdir, open,
 * write and rename cost tens of microseconds each, and only the fsyncs go off it, issued together:
 * through `fs.promises` each step was a hop through libuv's pool and back to the event loop
 * (0.5–1 ms apiece on a loaded 2-core machine), one after another.
 */
import { closeSync, fstatSync, openSync, readdirSync, renameSync, rmSync, writeSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import type { CompleteStep } from './filesystem-driver.js';
import { blobIndexOf } from './filesystem-files.js';
import { BLOB_FILE_NAME } from './filesystem-publish-bytes.js';
import { errorCode, fsyncFd, publishIntoShard } from './filesystem-shard-publish.js';
import type { WrittenPart } from './storage-driver.js';

const PART_FILE_NAME = /^[0-9]+$/;

/** Where the parts lie and where they are published. */
export interface InPlacePublication {
  /** The directory of the session's part files (the session's own, or its `parts/`). */
  partsDir: string;
  /** The blob's content address (`blobs/<algorithm>/<xx>/<hex>`), as an absolute path. */
  blobDir: string;
  digest: string;
}

/**
 * `published`: this call published the blob; `lost`: another session published the digest first
 * (its entry may not be durable yet: the caller syncs it); `staged-earlier`: a committed part is
 * not in the parts' directory (a completion of an earlier version moved it into `publish/`, or,
 * in a session of this version's layout, a run published or aborted it; nothing was done).
 */
export type InPlaceOutcome = 'published' | 'lost' | 'staged-earlier';

/**
 * Makes the parts' directory a complete blob directory, all durable, and renames it to the blob's address:
 * the index created beside the parts (exclusively: truncating an index another run wrote could
 * leave it empty at the moment that run publishes; one found there, an earlier or concurrent
 * run's, is replaced whole through a temp file), the part files no claim committed removed (a
 * stale writer's), then the fsyncs issued together: the parts not yet flushed (`durable` unset),
 * the index and the directory's entries. The shard directory is made once per process
 * (`knownShards`), and fsynced after the rename. Throws ENOENT when the directory is gone
 * (published or aborted meanwhile).
 */
export async function publishPartsInPlace(
  target: InPlacePublication,
  parts: readonly WrittenPart[],
  knownShards: Set<string>,
  step: ((step: CompleteStep) => void) | undefined,
): Promise<InPlaceOutcome> {
  const { partsDir, blobDir } = target;
  const present = new Set(readdirSync(partsDir));
  const committed = new Set(parts.map((part) => String(part.partNumber)));
  for (const name of committed) if (!present.has(name)) return 'staged-earlier';
  // Part files only, and a small blob's file written from memory by a run that did not publish
  // it: an index temp may be a concurrent run's, about to be renamed.
  for (const name of present) {
    if ((PART_FILE_NAME.test(name) && !committed.has(name)) || name === BLOB_FILE_NAME)
      rmSync(join(partsDir, name), { force: true, recursive: true });
  }
  const text = JSON.stringify(blobIndexOf(target.digest, parts));
  const fds: number[] = [];
  try {
    const index = present.has('index') ? undefined : createIndex(join(partsDir, 'index'), text);
    if (index === undefined) await replaceIndex(partsDir, text);
    else fds.push(index);
    step?.('part-staged');
    for (const part of parts) {
      if (part.durable) continue;
      const file = join(partsDir, String(part.partNumber));
      const fd = openSync(file, 'r');
      fds.push(fd);
      const size = fstatSync(fd).size;
      if (size !== part.size) throw new Error(`part file ${file} has ${size} bytes, not the ${part.size} committed`);
    }
    fds.push(openSync(partsDir, 'r'));
    await Promise.all(fds.map((fd) => fsyncFd(fd)));
  } finally {
    for (const fd of fds) closeSync(fd);
  }
  step?.('index-written');
  return publishIntoShard(partsDir, blobDir, knownShards, step);
}

/** Creates the index exclusively and answers its descriptor; undefined when one is there already. */
function createIndex(file: string, text: string): number | undefined {
  let fd: number;
  try {
    fd = openSync(file, 'wx', 0o644);
  } catch (error) {
    if (errorCode(error) === 'EEXIST') return undefined;
    throw error;
  }
  try {
    writeAll(fd, Buffer.from(text));
    return fd;
  } catch (error) {
    closeSync(fd);
    throw error;
  }
}

/** Replaces `dir/index` whole: a durable temp file renamed over it (the caller then fsyncs `dir`). */
async function replaceIndex(dir: string, text: string): Promise<void> {
  const temp = join(dir, `.index.tmp-${randomBytes(8).toString('hex')}`);
  const fd = openSync(temp, 'w', 0o644);
  try {
    writeAll(fd, Buffer.from(text));
    await fsyncFd(fd);
  } finally {
    closeSync(fd);
  }
  renameSync(temp, join(dir, 'index'));
}

function writeAll(fd: number, bytes: Buffer): void {
  for (let at = 0; at < bytes.length; ) at += writeSync(fd, bytes, at, bytes.length - at);
}

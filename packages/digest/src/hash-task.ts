import { createHash } from 'node:crypto';
import { closeSync, fsyncSync, openSync, readSync } from 'node:fs';
import {
  hashPartTask as hashPartOnThread,
  ingestPart as ingestPartOnThread,
  type IngestPartResult,
  type IngestPartTask,
} from './ingest-task.js';
import { createPartChecksum, type PartChecksumAlgorithm } from './part-checksum.js';
import { advancePartProgress, type PartProgress } from './part-progress.js';
import { collectYoungGarbage } from './thread-gc.js';
import type { ThreadFailure } from './hash-pool.js';

/** A task run on a pool thread: never on an event loop that renews job locks. */
export interface HashFileRangeTask {
  path: string;
  /** Inclusive byte range. */
  start: number;
  end: number;
  /** Also make the file durable (fsync) once it is read: a background check flushes as it goes. */
  sync?: boolean;
}

/** Several file ranges hashed as one stream of bytes, in order (a blob's segments). */
export interface HashFileRangesTask {
  ranges: HashFileRangeTask[];
}

export interface ChecksumFileRangeTask extends HashFileRangeTask {
  algorithm: PartChecksumAlgorithm;
}

const CHUNK = 4 * 1024 * 1024;

/**
 * One read buffer per thread, reused by every task: a thread runs one task at a time, and the
 * reads are synchronous. A fresh 4 MiB buffer per task would be garbage the thread's isolate
 * (which allocates little else) collects only after tens of megabytes of them.
 */
let readBuffer: Buffer | undefined;

/** Feeds bytes [start, end] of a file to `consume` (then fsyncs it if asked); throws if the file is shorter. */
function readFileRange(task: HashFileRangeTask, consume: (chunk: Uint8Array) => void): void {
  if (task.end < task.start) return;
  const fd = openSync(task.path, 'r');
  try {
    readBuffer ??= Buffer.allocUnsafeSlow(CHUNK);
    const buffer = readBuffer;
    let position = task.start;
    while (position <= task.end) {
      const want = Math.min(buffer.length, task.end - position + 1);
      const read = readSync(fd, buffer, 0, want, position);
      if (read === 0) {
        throw new FileEndedEarly(task.path, task.end);
      }
      consume(buffer.subarray(0, read));
      position += read;
    }
    if (task.sync) fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

/** SHA-256 (hex) of bytes [start, end] of a file; a missing or shorter file is a ThreadFailure. */
export function hashFileRange(task: HashFileRangeTask): Promise<string | ThreadFailure> {
  return reportingFileFailures(() => {
    const hash = createHash('sha256');
    readFileRange(task, (chunk) => hash.update(chunk));
    return hash.digest('hex');
  });
}

/** SHA-256 (hex) of the ranges one after the other; a missing or shorter file is a ThreadFailure. */
export function hashFileRanges(task: HashFileRangesTask): Promise<string | ThreadFailure> {
  return reportingFileFailures(() => {
    const hash = createHash('sha256');
    for (const range of task.ranges) readFileRange(range, (chunk) => hash.update(chunk));
    return hash.digest('hex');
  });
}

/** The part checksum (see part-checksum.ts) of bytes [start, end] of a file; as above on failure. */
export function checksumFileRange(task: ChecksumFileRangeTask): Promise<string | ThreadFailure> {
  return reportingFileFailures(async () => {
    const checksum = await createPartChecksum(task.algorithm);
    readFileRange(task, (chunk) => checksum.update(chunk));
    return checksum.digest();
  });
}

/** Pool task: write the part and hash it, then free the part (see thread-gc.ts). */
export async function ingestPart(task: IngestPartTask): Promise<IngestPartResult> {
  const result = await ingestPartOnThread(task);
  (task as Partial<IngestPartTask>).data = undefined;
  collectYoungGarbage();
  return result;
}

/** Pool task: hash a part the caller writes, then free the part (see thread-gc.ts). */
export async function hashPartTask(
  task: Pick<IngestPartTask, 'data' | 'layerState' | 'checksum'>,
): Promise<IngestPartResult> {
  const result = await hashPartOnThread(task);
  (task as Partial<IngestPartTask>).data = undefined;
  collectYoungGarbage();
  return result;
}

/** A batch of a part's bytes, and the part's hashes before it (see part-progress.ts). */
export interface AdvancePartTask {
  data: Uint8Array;
  progress: PartProgress;
  /** The part's last batch: the thread then collects its young garbage (see thread-gc.ts). */
  last?: boolean;
}

/** Pool task: advance a part's hashes over one batch of its bytes (memory the caller shares and keeps). */
export async function advancePartTask(task: AdvancePartTask): Promise<PartProgress> {
  const progress = await advancePartProgress(task.data, task.progress);
  (task as Partial<AdvancePartTask>).data = undefined;
  // Once per part, not per batch: a batch is a view on memory the caller keeps, and a scavenge
  // after each of a part's ten batches cost the thread half a second per GiB.
  if (task.last) collectYoungGarbage();
  return progress;
}

/** Thrown inside a task when a file ends before the range it is read for. */
export class FileEndedEarly extends Error {
  constructor(
    readonly path: string,
    readonly end: number,
  ) {
    super(`short read: ${path} ends before byte ${end}`);
  }
}

/** Runs a file task on the thread, returning a missing file or a short read as a ThreadFailure. */
export async function reportingFileFailures<T>(task: () => T | Promise<T>): Promise<T | ThreadFailure> {
  try {
    return await task();
  } catch (err) {
    if (err instanceof FileEndedEarly) return { threadFailure: 'short-read', path: err.path, end: err.end };
    const errno = err as NodeJS.ErrnoException;
    if (errno.code === 'ENOENT') return { threadFailure: 'part-missing', path: errno.path ?? '' };
    throw err;
  }
}

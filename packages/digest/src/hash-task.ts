import { createHash, type Hash } from 'node:crypto';
import { closeSync, fsyncSync, openSync, readSync } from 'node:fs';

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

const CHUNK = 4 * 1024 * 1024;

/** SHA-256 (hex) of bytes [start, end] of a file; throws if the file is shorter. */
export function hashFileRange(task: HashFileRangeTask): string {
  const hash = createHash('sha256');
  feedFileRange(hash, task);
  return hash.digest('hex');
}

/** SHA-256 (hex) of the ranges one after the other; throws if a file is shorter than its range. */
export function hashFileRanges(task: HashFileRangesTask): string {
  const hash = createHash('sha256');
  for (const range of task.ranges) feedFileRange(hash, range);
  return hash.digest('hex');
}

function feedFileRange(hash: Hash, task: HashFileRangeTask): void {
  if (task.end < task.start) return;
  const fd = openSync(task.path, 'r');
  try {
    const buffer = Buffer.allocUnsafe(Math.min(CHUNK, Math.max(1, task.end - task.start + 1)));
    let position = task.start;
    while (position <= task.end) {
      const want = Math.min(buffer.length, task.end - position + 1);
      const read = readSync(fd, buffer, 0, want, position);
      if (read === 0) {
        throw new Error(`short read: ${task.path} ends before byte ${task.end}`);
      }
      hash.update(buffer.subarray(0, read));
      position += read;
    }
    if (task.sync) fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

export { ingestPart, hashPartTask } from './ingest-task.js';

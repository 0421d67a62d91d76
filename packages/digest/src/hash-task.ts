import { createHash } from 'node:crypto';
import { closeSync, openSync, readSync } from 'node:fs';

/** A task run on a pool thread: never on an event loop that renews job locks. */
export interface HashFileRangeTask {
  path: string;
  /** Inclusive byte range. */
  start: number;
  end: number;
}

const CHUNK = 4 * 1024 * 1024;

/** SHA-256 (hex) of bytes [start, end] of a file; throws if the file is shorter. */
export function hashFileRange(task: HashFileRangeTask): string {
  const hash = createHash('sha256');
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
  } finally {
    closeSync(fd);
  }
  return hash.digest('hex');
}

export { ingestPart, hashPartTask } from './ingest-task.js';

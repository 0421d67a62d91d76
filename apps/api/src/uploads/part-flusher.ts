import { open } from 'node:fs/promises';

/** A large part this process streamed into a local part file, hashed it on the way, and committed. */
export interface WrittenPart {
  uploadId: string;
  /** The claim's own storage part number. */
  partNumber: number;
  /** Its part file. */
  path: string;
}

export interface PartFlusherDeps {
  /** Records the part as checked (UploadStore.markPartChecked): completion neither re-reads it nor waits for its flush. */
  markPartChecked(uploadId: string, partNumber: number, ok: boolean): Promise<void>;
  /** Parts waiting at most; more are left to completion, which checks and flushes them itself. */
  maxWaiting?: number;
}

export interface PartFlusher {
  /** Queues the part's flush; never throws and never makes the caller wait. */
  flush(part: WrittenPart): void;
  /** Resolves when nothing is queued or being flushed (tests and shutdown). */
  idle(): Promise<void>;
}

const DEFAULT_MAX_WAITING = 1024;

/**
 * The background check of a streamed part, done by the process that wrote it: flush the part
 * file to disk (fdatasync, on libuv's pool), then record it as checked. Its part checksum was
 * taken from the very bytes handed to `writev` moments ago, so reading them back from the page
 * cache (what the worker's check does) would compare them with themselves; what completion
 * needs from this check is that the bytes are on disk, so its own fsyncs find little left.
 *
 * One flush at a time: an fsync holds a pool thread until the disk has the bytes, and the
 * uploads' own writes must keep the other pool threads. Best effort, like the worker's check: a
 * part not flushed (queue full, process ended, part already published or its upload aborted)
 * is simply unchecked, and completion reads it back, checks it and fsyncs it as before.
 */
export function createPartFlusher(deps: PartFlusherDeps): PartFlusher {
  const maxWaiting = deps.maxWaiting ?? DEFAULT_MAX_WAITING;
  const waiting: WrittenPart[] = [];
  let running: Promise<void> | undefined;

  const drain = async (): Promise<void> => {
    for (let part = waiting.shift(); part; part = waiting.shift()) {
      if (await flushed(part.path)) await deps.markPartChecked(part.uploadId, part.partNumber, true).catch(noop);
    }
    running = undefined;
  };

  return {
    flush(part) {
      if (waiting.length >= maxWaiting) return;
      waiting.push(part);
      running ??= drain();
    },
    async idle() {
      while (running) await running;
    },
  };
}

/** fdatasyncs a file; false when it is gone (published, aborted) or cannot be flushed. */
async function flushed(path: string): Promise<boolean> {
  try {
    const handle = await open(path, 'r');
    try {
      await handle.datasync();
      return true;
    } finally {
      await handle.close();
    }
  } catch {
    return false;
  }
}

function noop(): void {}

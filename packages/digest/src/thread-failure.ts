/**
 * A file task's known failure, sent back from a pool thread as a value: an error crossing a
 * thread keeps only its message (structured clone drops its class, `name` and `code`), so the
 * caller's side rebuilds the typed error from this code (see hash-pool.ts), never from the text.
 */
export type ThreadFailure =
  | { threadFailure: 'part-missing'; path: string }
  | { threadFailure: 'short-read'; path: string; end: number };

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

export function isThreadFailure(value: unknown): value is ThreadFailure {
  return typeof value === 'object' && value !== null && 'threadFailure' in value;
}

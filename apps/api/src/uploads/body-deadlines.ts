import { RequestTimeoutException } from '@longshore/domain';

export interface BodyDeadlines {
  /** No bytes for this long ends the body (PART_IDLE_TIMEOUT_MS). */
  idleMs: number;
  /** The whole body may take this long (PART_MAX_DURATION_MS). */
  maxMs: number;
}

/** Sees a body's chunks as they pass (the part's hashes and length checks, part-hasher.ts). */
export interface BodyVisitor {
  /** One chunk, before it is passed on; what it throws fails the body. */
  take(chunk: Uint8Array): void;
  /** The body ended; what it throws fails the body before its end reaches the consumer. */
  ended(): void;
}

/**
 * Passes a streamed request body on, chunk by chunk, and fails it with a retryable
 * RequestTimeoutException when it stalls for `idleMs` or runs past `maxMs` in all. A body that
 * ends in time is unaffected. The source is not consumed further after a timeout.
 *
 * `visitor`, when given, sees each chunk before it is passed on, and the end; what it throws
 * fails the body like a timeout does. It runs here so a chunk crosses one async generator on its
 * way to storage, not one per step.
 *
 * A 1 GiB body is about 16,000 chunks: the two deadlines are one timer each for the whole body
 * (the idle one re-armed as each wait for a chunk begins), not a timer and a race per chunk.
 */
export async function* withBodyDeadlines(
  source: AsyncIterable<Uint8Array>,
  deadlines: BodyDeadlines,
  visitor?: BodyVisitor,
): AsyncGenerator<Uint8Array> {
  const iterator = source[Symbol.asyncIterator]();
  let waiting: ((err: Error) => void) | undefined;
  let expired: RequestTimeoutException | undefined;
  const expire = (whole: boolean) => {
    expired ??= bodyTimeout(whole ? 0 : Number.POSITIVE_INFINITY, deadlines);
    waiting?.(expired);
  };
  // The idle deadline only counts while a chunk is awaited: it fires unnoticed while the consumer
  // holds the last one (e.g. waiting for the disk), and is re-armed when the next wait begins.
  const idle = setTimeout(() => {
    if (waiting) expire(false);
  }, deadlines.idleMs);
  const whole = setTimeout(() => expire(true), deadlines.maxMs);
  const nextChunk = (): Promise<IteratorResult<Uint8Array>> => {
    if (expired) return Promise.reject(expired);
    const next = iterator.next();
    idle.refresh();
    return new Promise((resolve, reject) => {
      waiting = reject;
      next.then(resolve, reject);
    });
  };
  let finished = false;
  try {
    for (;;) {
      const result = await nextChunk();
      waiting = undefined;
      if (result.done) {
        finished = true;
        visitor?.ended();
        return;
      }
      visitor?.take(result.value);
      yield result.value;
    }
  } finally {
    clearTimeout(idle);
    clearTimeout(whole);
    if (!finished) void iterator.return?.()?.catch(() => undefined);
  }
}

/** The refusal of a body that ran out of time, `left` ms before its whole deadline when the last wait began. */
export function bodyTimeout(left: number, deadlines: BodyDeadlines): RequestTimeoutException {
  return new RequestTimeoutException(
    left <= deadlines.idleMs
      ? `The request body took longer than ${deadlines.maxMs} ms; retry the request`
      : `The request body sent no bytes for ${deadlines.idleMs} ms; retry the request`,
  );
}

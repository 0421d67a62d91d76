import { RequestTimeoutException } from '@longshore/domain';

export interface BodyDeadlines {
  /** No bytes for this long ends the body (PART_IDLE_TIMEOUT_MS). */
  idleMs: number;
  /** The whole body may take this long (PART_MAX_DURATION_MS). */
  maxMs: number;
}

/**
 * Passes a streamed request body on, chunk by chunk, and fails it with a retryable
 * RequestTimeoutException when it stalls for `idleMs` or runs past `maxMs` in all. A body that
 * ends in time is unaffected. The source is not consumed further after a timeout.
 */
export async function* withBodyDeadlines(
  source: AsyncIterable<Uint8Array>,
  deadlines: BodyDeadlines,
): AsyncGenerator<Uint8Array> {
  const iterator = source[Symbol.asyncIterator]();
  const endAt = Date.now() + deadlines.maxMs;
  let finished = false;
  try {
    for (;;) {
      const left = endAt - Date.now();
      const wait = Math.min(deadlines.idleMs, left);
      const next = iterator.next();
      // A read still pending when we give up must not become an unhandled rejection.
      next.catch(() => undefined);
      let timer: NodeJS.Timeout | undefined;
      const timeout = new Promise<'timeout'>((resolve) => {
        timer = setTimeout(() => resolve('timeout'), Math.max(0, wait));
      });
      const result = await Promise.race([next, timeout]).finally(() => clearTimeout(timer));
      if (result === 'timeout') throw bodyTimeout(left, deadlines);
      if (result.done) {
        finished = true;
        return;
      }
      yield result.value;
    }
  } finally {
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

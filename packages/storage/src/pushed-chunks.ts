/**
 * A streamed body that can also hand its chunks over itself, with no async step per chunk: a
 * 1 GiB body is ~16,000 socket reads, and passing each through async iterators (the request's
 * own, then an async generator, then the writer's `for await`) cost the API's main thread about
 * 0.14 s of CPU per GiB on the development machine, against a plain `'data'` listener
 * (docs/performance.md, bytes27). A writer that can take chunks this way calls `pushChunks`
 * instead of iterating; any other consumer iterates the body as before.
 */
export interface PushedChunks {
  /**
   * Calls `consume` with each chunk in order. When it returns a promise, no further chunk is
   * passed until that promise settles (the body is paused meanwhile); what it throws, or a
   * rejection, fails the body. Resolves once the body ended and every chunk was consumed;
   * rejects with the body's own failure (its error, a deadline, a length check).
   */
  pushChunks(consume: (chunk: Uint8Array) => Promise<void> | undefined): Promise<void>;
}

/** Whether `source` can push its chunks (see PushedChunks). */
export function canPushChunks(source: object): source is PushedChunks {
  return typeof (source as Partial<PushedChunks>).pushChunks === 'function';
}

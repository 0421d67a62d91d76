import type { IncomingMessage } from 'node:http';

/**
 * Reads and discards what is left of a request body the handler stopped reading (a refused or
 * timed-out part), when the whole body is small, so the error can be answered on
 * a connection the client is still writing to. Closing instead races the client's last writes:
 * it may see EPIPE/ECONNRESET rather than the answer. Resolves `true` once the body ended, or
 * `false` (the caller should then close the connection) when its Content-Length is unknown or
 * over `maxBytes`, or it does not end within `timeoutMs`.
 */
export function drainRequest(req: IncomingMessage, maxBytes: number, timeoutMs: number): Promise<boolean> {
  if (req.complete) return Promise.resolve(true);
  const declared = Number(req.headers['content-length']);
  if (!Number.isSafeInteger(declared) || declared > maxBytes) return Promise.resolve(false);
  return new Promise((resolve) => {
    const done = (ended: boolean) => {
      clearTimeout(timer);
      req.off('end', onEnd);
      req.off('error', onError);
      resolve(ended);
    };
    const onEnd = () => done(true);
    const onError = () => done(false);
    const timer = setTimeout(() => done(false), timeoutMs);
    req.on('end', onEnd);
    req.on('error', onError);
    req.resume();
  });
}

import type { IncomingMessage } from 'node:http';

/**
 * Reads a small request body the way express.raw (body-parser) does in its common case, without
 * its machinery per request (type-is, raw-body's listeners, on-finished, an async scope): the
 * body has no content coding and a declared length within `limit`. Then it sets `req.body` to
 * the bytes, calls `verify` with them, and `done()` once the body ended, or `done(err)` with an
 * error shaped as body-parser's (`type: 'request.aborted'`) when the client went away.
 *
 * Returns false, reading nothing, for any other body (a content coding, no or an invalid
 * Content-Length, one above `limit`): the caller hands it to body-parser, which answers those.
 */
export function readDeclaredBody(
  req: IncomingMessage & { body?: unknown },
  limit: number,
  verify: (req: IncomingMessage, res: unknown, body: Buffer) => void,
  done: (err?: unknown) => void,
): boolean {
  const coding = req.headers['content-encoding'];
  if (coding !== undefined && coding.toLowerCase() !== 'identity') return false;
  const declared = req.headers['content-length'];
  if (declared === undefined || !/^\d+$/.test(declared)) return false;
  const length = Number(declared);
  if (length > limit || req.readableEnded) return false;
  const chunks: Buffer[] = [];
  let received = 0;
  const finish = (err?: unknown) => {
    req.off('data', onData).off('end', onEnd).off('error', onError).off('aborted', onAborted);
    done(err);
  };
  const onData = (chunk: Buffer) => {
    chunks.push(chunk);
    received += chunk.length;
  };
  const onEnd = () => {
    // Node's parser ends a body with a Content-Length only once all of it came (else `aborted`).
    // A body of one read (the usual) is taken as it came: its memory is that read's own.
    const body = chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, received);
    req.body = body;
    verify(req, undefined, body);
    finish();
  };
  const onError = (err: Error) => finish(aborted(err.message, length, received));
  const onAborted = () => finish(aborted('request aborted', length, received));
  req.on('data', onData).on('end', onEnd).on('error', onError).on('aborted', onAborted);
  return true;
}

/** raw-body's error for a body that stopped coming. */
function aborted(message: string, expected: number, received: number) {
  return Object.assign(new Error(message), { type: 'request.aborted', code: 'ECONNABORTED', expected, received });
}

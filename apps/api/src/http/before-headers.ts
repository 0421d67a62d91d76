import type { Response } from 'express';

/**
 * Runs `listener` once, just before `res` sends its status line and headers: the answer is
 * decided (status, headers set) and the client has not been told yet. For a door whose
 * handlers write their own answers, this is where a mutation's result is known and still
 * unacknowledged (the audit trail is written there, before the client can act on the answer).
 */
export function beforeHeaders(res: Response, listener: () => void): void {
  const writeHead = res.writeHead;
  let ran = false;
  res.writeHead = function (this: Response, ...args: Parameters<Response['writeHead']>) {
    if (!ran) {
      ran = true;
      listener();
    }
    return writeHead.apply(this, args);
  } as Response['writeHead'];
}

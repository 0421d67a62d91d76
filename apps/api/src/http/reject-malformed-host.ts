import { Router, type Request, type RequestHandler, type Response } from 'express';
import { RequestValidationError } from '@longshore/domain';
import { parseHostHeader } from './host-header.js';

/** Answers a rejected request in the error form of the door it was sent to. */
export type DoorErrorAnswer = (req: Request, res: Response, error: RequestValidationError) => void;

/**
 * Runs first: a request whose `Host` header is present but not a host (`a b`, `[::1`,
 * `evil:99999`) is answered 400 in its door's error form before anything else happens, so it
 * changes nothing (RFC 9112 §3.2: a server must answer 400 to an invalid Host).
 */
export function rejectMalformedHost(answer: DoorErrorAnswer): Router {
  const router = Router();
  router.use(malformedHostCheck(answer));
  return router;
}

/**
 * The same check as a plain middleware: for a door reached past express's router (the `/v2`
 * door, http/direct-door.ts), where a Router's own walk would be all its cost.
 */
export function malformedHostCheck(answer: DoorErrorAnswer): RequestHandler {
  return (req, res, next) => {
    const raw = req.headers.host;
    if (raw === undefined || parseHostHeader(raw)) {
      next();
      return;
    }
    const shown = raw.length > 100 ? `${raw.slice(0, 100)}…` : raw;
    answer(req, res, new RequestValidationError(`The Host header '${shown}' is not a valid host`, 'Host'));
  };
}

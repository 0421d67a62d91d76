import express, { type Express, type Request, type RequestHandler, type Response, type NextFunction } from 'express';
import { RouteNotFoundError, ServerException, type LongshoreError } from '@longshore/domain';
import type { Logger } from '@longshore/telemetry';
import { type DirectDoor, routeDirect } from './http/direct-door.js';
import { requestLogging } from './http/request-logging.js';
import { sendError } from './errors/send-error.js';
import { wireOf } from './errors/wire-of.js';

export interface AppParts {
  log: Logger;
  /** TRUST_PROXY: Express's `trust proxy` (whose X-Forwarded-For names the client). */
  trustProxy: boolean | number | string[];
  /** Routers (or doors' own middleware) in the order they are tried: ECR (`POST /`), /v1, /v2, downloads, health. */
  routers: RequestHandler[];
  /** A door that answers every request for its paths (`/v2`), reached past express's router (http/direct-door.ts). */
  direct?: DirectDoor;
}

/** Answers an error that no door answered, in the wire of the path it was asked on. */
function sendUnroutedError(req: Request, res: Response, error: LongshoreError): void {
  sendError(wireOf(req), res, error);
}

function answerUnrouted(req: Request, res: Response): void {
  sendUnroutedError(req, res, new RouteNotFoundError(`Nothing is served at ${req.method} ${req.path}`));
}

/** Errors that escaped a handler (a stream that broke mid-download, a bug): log, and answer if we still can. */
function answerFailed(err: unknown, req: Request, res: Response): void {
  req.log.error({ err }, 'unhandled error');
  if (res.headersSent) res.destroy(err instanceof Error ? err : undefined);
  else sendUnroutedError(req, res, new ServerException('An internal error occurred'));
}

/**
 * The HTTP app: a request id on every answer (`x-amzn-RequestId`, as AWS does) and every log
 * line, then the routers. Handlers answer directly; nothing answers through a shared final
 * middleware except a path nobody serves.
 */
export function createApp(parts: AppParts): Express {
  const app = express();
  app.disable('x-powered-by');
  app.set('etag', false);
  app.set('query parser', 'simple');
  app.set('trust proxy', parts.trustProxy);

  const logRequest = requestLogging(parts.log, app.request);
  app.use(logRequest);

  for (const router of parts.routers) app.use(router);

  app.use(answerUnrouted);
  app.use((err: Error, req: Request, res: Response, _next: NextFunction) => answerFailed(err, req, res));
  if (parts.direct) routeDirect(app, logRequest, parts.direct, { failed: answerFailed, unrouted: answerUnrouted });
  return app;
}

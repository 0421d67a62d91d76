import { randomUUID } from 'node:crypto';
import type { Request, RequestHandler } from 'express';
import type { Logger } from '@longshore/telemetry';
import { sourceOf } from '../auth/signed-request.js';
import './request-facts.js';

/** Health probes answer often and say nothing new: their lines are at debug. */
const PROBES = new Set(['/healthz', '/readyz', '/metrics']);

declare global {
  // eslint-disable-next-line @typescript-eslint/no-namespace
  namespace Express {
    interface Request {
      /** The request id, returned to the client as `x-amzn-RequestId` (as AWS does). */
      id: string;
      /** A logger whose every line carries `reqId`; created on first use. */
      log: Logger;
    }
  }
}

/** Where a request keeps its logger once made. */
const CHILD = Symbol('requestLogger');

/**
 * Gives every request an id (answered in `x-amzn-RequestId`) and a logger carrying it, and logs
 * one line per finished request. The child logger is only built when something logs, so a busy
 * API at `LOG_LEVEL=warn` pays nothing per request: its getter is defined once, on the app's
 * request prototype (`app.request`), not on each request. Never logs bodies, query strings
 * (download URL signatures) or credentials.
 */
export function requestLogging(log: Logger, requestPrototype: object): RequestHandler {
  Object.defineProperty(requestPrototype, 'log', {
    configurable: true,
    get(this: Request & { [CHILD]?: Logger }) {
      this[CHILD] ??= log.child({ reqId: this.id });
      return this[CHILD];
    },
  });
  return (req, res, next) => {
    const id = randomUUID();
    req.id = id;
    res.setHeader('x-amzn-RequestId', id);
    const probe = PROBES.has(req.path);
    if (log.isLevelEnabled(probe ? 'debug' : 'info')) {
      const started = process.hrtime.bigint();
      res.on('finish', () => {
        const level = res.statusCode >= 500 ? 'error' : probe ? 'debug' : 'info';
        req.log[level](
          {
            req: { method: req.method, path: req.path, target: req.get('x-amz-target') },
            // Who asked, from where, about what: the key id (never a secret), the client address, the repository.
            keyId: req.callerKeyId,
            source: sourceOf(req),
            repository: req.repositoryName,
            operation: res.locals.operation as string | undefined,
            res: { statusCode: res.statusCode },
            responseTime: Number(process.hrtime.bigint() - started) / 1e6,
          },
          'request completed',
        );
      });
    }
    next();
  };
}

import type { Request, Response } from 'express';
import { beforeHeaders } from '../http/before-headers.js';
import type { ApiMetrics } from '../metrics/api-metrics.js';
import { type ErrorAnswerContext, sendError } from './send-error.js';
import { toDomainError } from './to-domain-error.js';
import type { Wire } from './wire-of.js';

export interface RequestScope extends ErrorAnswerContext {
  wire: Wire;
  /** The operation's metric label, read when the request ends (a door may learn it while routing). */
  operation: string;
  /** Set when the client went away: its error is counted as `aborted` and not answered. */
  signal?: AbortSignal;
  /** Runs before an error is answered (the /v1 door reads a small refused body to its end). */
  beforeAnswer?(): Promise<void>;
  /**
   * Set by a door for a mutating request: records it in the audit trail with its outcome (`ok`
   * or the error name), just before the answer's headers go out (decided, not yet acknowledged).
   */
  audit?(outcome: string): void;
}

/**
 * The one error path of every door: runs the handler, turns what it threw into a domain error,
 * logs it (a server fault with its stack, a refusal as one line), answers it on the request's
 * wire unless the answer has begun or the client is gone, and counts the request and its time.
 */
export async function handleRequest(
  req: Request,
  res: Response,
  scope: RequestScope,
  handler: (scope: RequestScope) => Promise<void>,
  metrics?: ApiMetrics,
): Promise<void> {
  const started = process.hrtime.bigint();
  let outcome = 'ok';
  beforeHeaders(res, () => scope.audit?.(outcome));
  try {
    await handler(scope);
  } catch (err) {
    const error = toDomainError(err);
    outcome = error.name;
    if (error.name === 'ServerException') req.log.error({ err }, 'request failed');
    else req.log.info({ error: error.name, reason: error.message }, 'request rejected');
    if (scope.signal?.aborted) outcome = 'aborted';
    else if (res.headersSent) res.destroy();
    else {
      await scope.beforeAnswer?.();
      sendError(scope.wire, res, error, scope);
    }
  } finally {
    if (metrics) {
      const labels = { operation: scope.operation, outcome };
      metrics.requests.inc(labels);
      metrics.requestDuration.observe(labels, Number(process.hrtime.bigint() - started) / 1e9);
    }
  }
}

import type { Request, RequestHandler, Response } from 'express';
import { MethodNotAllowedError, RouteNotFoundError, type OciRouteFamily } from '@longshore/domain';
import type { DoorAuditEvent, RequestAudit } from '../audit/request-audit.js';
import type { V2Authorizer } from '../auth/registry-basic-auth.js';
import { handleRequest, type RequestScope } from '../errors/handle-request.js';
import { noteRepository } from '../http/request-facts.js';
import type { ApiMetrics } from '../metrics/api-metrics.js';
import { matchV2Path, type V2Target } from './v2-path.js';
import type { HttpMethod, V2RouteFamily } from './v2-route.js';

export interface V2RouterDeps {
  metrics: ApiMetrics;
  /** The route families and the methods each serves (see create-v2-routes.ts). */
  routes: Record<OciRouteFamily, V2RouteFamily>;
  /** Authenticates and authorizes each request once its operation is known (see registry-basic-auth.ts). */
  authorize?: V2Authorizer;
  /** The realm a 401's `WWW-Authenticate: Basic` challenge names (see build-api.ts). */
  challengeRealm?: (req: Request) => string;
  audit?: RequestAudit;
}

/** The /v2 operations that change something; a POST that starts an upload only when it finishes one (digest or mount). */
const MUTATING = new Set(['v2.PutManifest', 'v2.DeleteManifest', 'v2.DeleteBlob', 'v2.CompleteUpload']);
const DIGEST = /^sha(256|512):/;

function isMutating(operation: string, req: Request): boolean {
  return (
    MUTATING.has(operation) ||
    (operation === 'v2.StartUpload' && (req.query.digest !== undefined || req.query.mount !== undefined))
  );
}

/**
 * Whether a raw request target (`req.url`) is a `/v2` path, which the door answers whatever it
 * is: its path (`req.path`) is then `/v2` or starts with `/v2/`. Targets this does not take (an
 * absolute form, a fragment) still reach the door through express's router.
 */
export function ownsV2Url(url: string): boolean {
  return url.startsWith('/v2/') || url === '/v2' || url.startsWith('/v2?');
}

/**
 * The OCI Distribution door (`/v2`, distribution-spec v1.1): one dispatcher for every /v2 path.
 * It takes the path apart (repository names contain slashes), picks the family's handler for the
 * method, and runs it on the API's one error path (errors/handle-request.ts).
 */
export function createV2Router(deps: V2RouterDeps): RequestHandler {
  // A plain middleware, not an express Router: a /v2 request goes straight to the dispatcher.
  const door: RequestHandler = (req, res, next) => {
    if (req.path !== '/v2' && !req.path.startsWith('/v2/')) {
      next();
      return;
    }
    void dispatch(req, res);
  };

  async function dispatch(req: Request, res: Response): Promise<void> {
    res.setHeader('Docker-Distribution-API-Version', 'registry/2.0');
    const controller = new AbortController();
    res.on('close', () => {
      if (!res.writableFinished) controller.abort();
    });
    const scope: RequestScope = {
      wire: 'v2',
      operation: 'v2.unrouted',
      family: 'base',
      signal: controller.signal,
      ...(deps.challengeRealm ? { challengeRealm: () => deps.challengeRealm!(req) } : {}),
    };
    await handleRequest(
      req,
      res,
      scope,
      async () => {
        const target: V2Target | undefined = matchV2Path(req.path);
        if (!target) throw new RouteNotFoundError(`Nothing is served at ${req.method} ${req.path}`);
        scope.family = target.family;
        const methods = deps.routes[target.family];
        const route = methods[req.method as HttpMethod] ?? (req.method === 'HEAD' ? methods.GET : undefined);
        if (!route) {
          res.setHeader('Allow', Object.keys(methods).join(', '));
          throw new MethodNotAllowedError(`${req.method} is not served on ${req.path}`);
        }
        scope.operation = route.operation;
        res.locals.operation = route.operation;
        noteRepository(req, target.name);
        const { audit } = deps;
        if (audit?.enabled && isMutating(route.operation, req)) {
          // The audit trail's one call for this door. Not the challenge an unauthenticated client
          // gets first: only what a known caller did or was refused.
          scope.audit = (outcome) => {
            if (req.callerKeyId && !(req.callerKeyId === 'anonymous' && outcome !== 'ok')) {
              audit.record(req, auditEventOf(route.operation, target, req, res, outcome));
            }
          };
        }
        await deps.authorize?.({ req, res, operation: route.operation, repository: target.name });
        await route.handle({ req, res, target, signal: controller.signal });
      },
      deps.metrics,
    );
  }

  return door;
}

/** The audit line of a /v2 mutation: the digest it answered (or named), the tag it named. */
function auditEventOf(
  operation: string,
  target: V2Target,
  req: Request,
  res: Response,
  outcome: string,
): DoorAuditEvent {
  const answered = res.getHeader('Docker-Content-Digest');
  const reference = target.family === 'manifest' ? target.reference : '';
  const named = DIGEST.test(reference) ? reference : target.family === 'blob' ? target.reference : req.query.digest;
  return {
    action: operation,
    door: 'v2',
    repository: target.name,
    digest: typeof answered === 'string' ? answered : typeof named === 'string' ? named : undefined,
    tag: reference && !DIGEST.test(reference) ? reference : undefined,
    result: outcome,
  };
}

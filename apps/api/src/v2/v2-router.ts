import { Router, type Request, type Response } from 'express';
import { MethodNotAllowedError, RouteNotFoundError, type OciRouteFamily } from '@longshore/domain';
import { toDomainError } from '../errors/to-domain-error.js';
import type { ApiMetrics } from '../metrics/api-metrics.js';
import { sendOciError } from './send-oci-error.js';
import { matchV2Path, type V2Target } from './v2-path.js';
import type { HttpMethod, V2RouteFamily } from './v2-route.js';

export interface V2RouterDeps {
  metrics: ApiMetrics;
  /** The route families and the methods each serves (see create-v2-routes.ts). */
  routes: Record<OciRouteFamily, V2RouteFamily>;
}

/**
 * The OCI Distribution door (`/v2`, distribution-spec v1.1): one dispatcher for every /v2 path.
 * It takes the path apart (repository names contain slashes), picks the family's handler for the
 * method, and is the one place a /v2 request's error is answered, counted and logged: an
 * authentication middleware mounted in front of this router sees every /v2 request.
 */
export function createV2Router(deps: V2RouterDeps): Router {
  const router = Router();
  router.use((req, res, next) => {
    if (req.path !== '/v2' && !req.path.startsWith('/v2/')) {
      next();
      return;
    }
    void dispatch(req, res);
  });

  async function dispatch(req: Request, res: Response): Promise<void> {
    const started = process.hrtime.bigint();
    res.setHeader('Docker-Distribution-API-Version', 'registry/2.0');
    let family: OciRouteFamily = 'base';
    let operation = 'v2.unrouted';
    let outcome = 'ok';
    const controller = new AbortController();
    res.on('close', () => {
      if (!res.writableFinished) controller.abort();
    });
    try {
      const target: V2Target | undefined = matchV2Path(req.path);
      if (!target) throw new RouteNotFoundError(`Nothing is served at ${req.method} ${req.path}`);
      family = target.family;
      const methods = deps.routes[target.family];
      const route = methods[req.method as HttpMethod] ?? (req.method === 'HEAD' ? methods.GET : undefined);
      if (!route) {
        res.setHeader('Allow', Object.keys(methods).join(', '));
        throw new MethodNotAllowedError(`${req.method} is not served on ${req.path}`);
      }
      operation = route.operation;
      res.locals.operation = operation;
      await route.handle({ req, res, target, signal: controller.signal });
    } catch (err) {
      const error = toDomainError(err);
      outcome = error.name;
      if (error.name === 'ServerException') req.log.error({ err }, 'request failed');
      if (controller.signal.aborted) outcome = 'aborted';
      else if (res.headersSent) res.destroy();
      else sendOciError(res, error, family);
    } finally {
      deps.metrics.requests.inc({ operation, outcome });
      deps.metrics.requestDuration.observe({ operation, outcome }, Number(process.hrtime.bigint() - started) / 1e9);
    }
  }

  return router;
}

import type { Request } from 'express';

/** The three wires the API answers on; each door answers its errors in its own. */
export type Wire = 'ecr' | 'v1' | 'v2';

/**
 * The wire a request was sent on, from its method and path alone, so it is known before any door
 * routes it: ECR is `POST /`, the OCI Distribution API is `/v2`, everything else answers in the
 * `/v1` envelope (downloads, health, unknown paths).
 */
export function wireOf(req: Pick<Request, 'method' | 'path'>): Wire {
  if (req.path === '/v2' || req.path.startsWith('/v2/')) return 'v2';
  if (req.method === 'POST' && req.path === '/') return 'ecr';
  return 'v1';
}

import { Router } from 'express';
import { checkReadiness, type ReadinessCheck } from '@longshore/telemetry';

export type { ReadinessCheck };

/** /healthz: the process is alive. /readyz: every dependency answers, with the reasons when not. */
export function createHealthRouter(checks: ReadinessCheck[]): Router {
  const router = Router();
  router.get('/healthz', (_req, res) => {
    res.json({ status: 'ok' });
  });
  router.get('/readyz', async (_req, res) => {
    const { ready, body } = await checkReadiness(checks);
    res.status(ready ? 200 : 503).json(body);
  });
  return router;
}

import { checkRedis } from '@longshore/queue';
import { checkStorage } from '@longshore/storage';
import { startOpsServer } from '@longshore/telemetry';
import type { FinalizeRunningWorker } from '../queues/finalize-worker.js';
import type { WorkerContext } from '../worker-context.js';

/**
 * The worker's operations listener (METRICS_PORT): /metrics, /healthz, and /readyz, ready while
 * Redis and the storage answer and the finalize worker consumes its queue.
 */
export function startWorkerOpsServer(context: WorkerContext, finalize: FinalizeRunningWorker) {
  const { config, metricsRegistry } = context;
  return startOpsServer({
    port: config.metricsPort,
    host: config.metricsHost,
    settings: 'METRICS_PORT (and METRICS_HOST)',
    metrics: async () => ({ contentType: metricsRegistry.contentType, body: await metricsRegistry.metrics() }),
    readiness: [
      { name: 'redis', check: () => checkRedis(context.redis) },
      {
        name: 'finalize-queue',
        check: async () => {
          if (!finalize.isRunning()) throw new Error('the finalize worker is not consuming its queue');
        },
      },
      { name: 'storage', check: () => checkStorage(context.storage) },
    ],
  });
}

import { randomUUID } from 'node:crypto';
import type { Config } from '@longshore/config';
import { digestFromState } from '@longshore/digest';
import { preloadScripts } from '@longshore/metadata';
import { checkRedisDurability } from '@longshore/queue';
import type { Registry } from 'prom-client';
import type { Logger } from '@longshore/telemetry';
import { startHeartbeat } from './health/worker-heartbeat.js';
import { startWorkerOpsServer } from './health/start-worker-ops-server.js';
import { applyLifecyclePoliciesJob } from './lifecycle/apply-lifecycle-policies-job.js';
import { collectGarbageJob } from './maintenance/collect-garbage-job.js';
import { purgeAbandonedUploadsJob } from './maintenance/purge-abandoned-uploads-job.js';
import { startCallbackWorker } from './queues/start-callback-worker.js';
import { startEventWorker } from './queues/start-event-worker.js';
import { startFinalizeWorker } from './queues/finalize-worker.js';
import { startMaintenanceWorker } from './queues/start-maintenance-worker.js';
import { startVerifyWorker } from './queues/start-verify-worker.js';
import { createWorkerContext } from './worker-context.js';

export interface FinalizeWorker {
  /** The port of its operations listener (METRICS_PORT): /metrics, /healthz, /readyz. */
  metricsPort: number;
  metricsRegistry: Registry;
  /** Stops taking jobs, lets active ones finish, and closes every connection. */
  close(): Promise<void>;
}

/** The composition root of a worker process: one consumer per queue, the heartbeat, the ops listener. */
export async function buildWorker(config: Config, log: Logger): Promise<FinalizeWorker> {
  const context = await createWorkerContext(config, log);
  // The SHA-256 engines (the native addon) loaded now rather than by the first finalization.
  await digestFromState(new Uint8Array(0));
  // The stores' scripts in Redis's cache before the first job, not on its critical path (preload-scripts.ts).
  const scriptsLoaded = preloadScripts(context.storeRedis).catch((err: unknown) =>
    log.warn({ err }, 'could not preload the Redis scripts; each is sent on its first use'),
  );
  const finalize = startFinalizeWorker(context);
  const workers = [
    finalize,
    startVerifyWorker(context),
    startCallbackWorker(context),
    startEventWorker(context),
    await startMaintenanceWorker(context, [
      purgeAbandonedUploadsJob(context),
      applyLifecyclePoliciesJob(context),
      collectGarbageJob(context),
    ]),
  ];
  const workerId = randomUUID();
  const heartbeat = await startHeartbeat(context.stores.workers, workerId);
  await Promise.all([finalize.waitUntilReady(), scriptsLoaded]);
  const ops = await startWorkerOpsServer(context, finalize);
  void checkRedisDurability(context.redis, log);
  log.info(
    { workerId, concurrency: config.workerConcurrency, hashThreads: context.hashPool.threads },
    'worker consuming the finalize queue',
  );

  return {
    metricsPort: ops.port,
    metricsRegistry: context.metricsRegistry,
    async close() {
      await Promise.all(workers.map((worker) => worker.close()));
      await heartbeat.stop();
      ops.server.close();
      await context.close();
    },
  };
}

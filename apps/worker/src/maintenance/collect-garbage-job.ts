import type { MaintenanceJob } from '../queues/start-maintenance-worker.js';
import type { WorkerContext } from '../worker-context.js';
import { collectGarbage } from './collect-garbage.js';

/** Every GC_INTERVAL_MS (0: only when `longshore gc run` asks): deletes blobs unreferenced for GC_GRACE_SECONDS. */
export function collectGarbageJob(context: WorkerContext): MaintenanceJob {
  const { config, log, storage, stores, metrics } = context;
  const deps = {
    blobs: stores.blobs,
    references: stores.blobReferences,
    storage,
    graceMs: config.gcGraceSeconds * 1000,
    onDeleted: (bytes: number) => {
      metrics.gcDeletedBlobs.inc({ driver: storage.name });
      metrics.gcReclaimedBytes.inc({ driver: storage.name }, bytes);
    },
  };
  return {
    name: 'collect-garbage',
    everyMs: config.gcIntervalMs,
    async run() {
      const report = await collectGarbage(deps);
      if (report.deleted > 0) log.info(report, 'garbage-collected unreferenced blobs');
      return report;
    },
  };
}

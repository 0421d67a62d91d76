import type { MaintenanceJob } from '../queues/start-maintenance-worker.js';
import type { WorkerContext } from '../worker-context.js';
import { collectGarbage } from './collect-garbage.js';
import { holdGcAt } from './hold-gc-at.js';

/** Every GC_INTERVAL_MS (0: only when `longshore gc run` asks): deletes blobs unreferenced for GC_GRACE_SECONDS. */
export function collectGarbageJob(context: WorkerContext): MaintenanceJob {
  const { config, log, storage, stores, metrics } = context;
  // Off in service; the GC race tests hold each collection before its sweep (TEST_HOLD_GC_AT).
  const hold = holdGcAt(config.testHoldGcAt);
  const deps = {
    blobs: stores.blobs,
    references: stores.blobReferences,
    layers: stores.layers,
    storage,
    graceMs: config.gcGraceSeconds * 1000,
    layerLinkGraceMs: config.gcLayerLinkGraceSeconds * 1000,
    now: context.clock,
    ...(hold ? { beforeSweep: hold } : {}),
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

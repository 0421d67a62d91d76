import type { MaintenanceJob } from '../queues/start-maintenance-worker.js';
import type { WorkerContext } from '../worker-context.js';
import { purgeAbandonedUploads } from './purge-abandoned-uploads.js';

/** Every PURGE_INTERVAL_MS: removes the stored parts of abandoned and finished uploads (PURGE_GRACE_MS idle). */
export function purgeAbandonedUploadsJob(context: WorkerContext): MaintenanceJob {
  const { config, log, storage, stores } = context;
  return {
    name: 'purge-abandoned-uploads',
    everyMs: config.purgeIntervalMs,
    async run() {
      const purged = await purgeAbandonedUploads({ storage, uploads: stores.uploads }, config.purgeGraceMs);
      if (purged.length > 0) log.info({ purged: purged.length }, 'removed the bytes of abandoned uploads');
      return purged.length;
    },
  };
}

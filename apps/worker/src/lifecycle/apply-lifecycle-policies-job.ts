import type { MaintenanceJob } from '../queues/start-maintenance-worker.js';
import type { WorkerContext } from '../worker-context.js';
import { applyLifecyclePolicies } from './apply-lifecycle-policies.js';

/** Every LIFECYCLE_INTERVAL_SECONDS: expires the images the repositories' lifecycle policies select. */
export function applyLifecyclePoliciesJob(context: WorkerContext): MaintenanceJob {
  const { config, log, stores } = context;
  const deps = {
    repositories: stores.repositories,
    images: stores.images,
    lifecycle: stores.lifecycle,
    now: context.clock,
    log,
  };
  return {
    name: 'apply-lifecycle-policies',
    everyMs: config.lifecycleIntervalSeconds * 1000,
    async run() {
      const evaluations = await applyLifecyclePolicies(deps);
      const expired = evaluations.reduce((n, e) => n + e.expired, 0);
      if (expired > 0) log.info({ expired, repositories: evaluations.length }, 'lifecycle policies expired images');
      return evaluations;
    },
  };
}

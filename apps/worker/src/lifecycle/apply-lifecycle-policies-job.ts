import type { MaintenanceJob } from '../queues/start-maintenance-worker.js';
import type { WorkerContext } from '../worker-context.js';
import { applyLifecyclePolicies } from './apply-lifecycle-policies.js';
import { holdLifecycleAt } from './hold-lifecycle-at.js';

/** Every LIFECYCLE_INTERVAL_SECONDS: expires the images the repositories' lifecycle policies select. */
export function applyLifecyclePoliciesJob(context: WorkerContext): MaintenanceJob {
  const { config, log, stores } = context;
  // Off in service; the two-worker test holds an evaluation inside its lock (TEST_HOLD_LIFECYCLE_AT).
  const hold = holdLifecycleAt(config.testHoldLifecycleAt);
  const deps = {
    ...(hold ? { insideLock: hold.insideLock } : {}),
    repositories: stores.repositories,
    images: stores.images,
    lifecycle: stores.lifecycle,
    now: context.clock,
    log,
    pace: { dutyPercent: config.lifecycleDutyPercent, deleteBatch: config.lifecycleDeleteBatch },
  };
  return {
    name: 'apply-lifecycle-policies',
    everyMs: config.lifecycleIntervalSeconds * 1000,
    async run() {
      const evaluations = await applyLifecyclePolicies(deps);
      hold?.evaluated(evaluations);
      const expired = evaluations.reduce((n, e) => n + e.expired, 0);
      if (expired > 0) log.info({ expired, repositories: evaluations.length }, 'lifecycle policies expired images');
      return evaluations;
    },
  };
}

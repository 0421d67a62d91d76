import { parseLifecyclePolicy } from '@longshore/domain';
import { lifecycleExpiryChunks, type ImageStore, type LifecycleStore, type RepositoryStore } from '@longshore/metadata';
import type { Logger } from '@longshore/telemetry';
import { DutyCycle } from './duty-cycle.js';

export interface LifecycleDeps {
  repositories: Pick<RepositoryStore, 'get'>;
  images: ImageStore;
  lifecycle: LifecycleStore;
  now: () => number;
  log: Logger;
  /** LIFECYCLE_DUTY_PERCENT and LIFECYCLE_DELETE_BATCH: how an evaluation paces itself (see below). */
  pace: { dutyPercent: number; deleteBatch: number };
  /** How long one repository's evaluation lock lives between renewals. */
  lockTtlMs?: number;
  /** Tests only (TEST_HOLD_LIFECYCLE_AT): awaited once the evaluation holds the repository's lock. */
  insideLock?(repositoryName: string): Promise<void>;
}

export interface RepositoryEvaluation {
  repositoryName: string;
  /** False when another worker was evaluating the repository (it was left to that one). */
  evaluated: boolean;
  expired: number;
}

/**
 * Applies one repository's lifecycle policy: under the repository's evaluation lock (one
 * evaluation per repository at a time, across every worker and host), the images the policy
 * expires (streamed a chunk at a time in push order, never the whole repository at once) are
 * deleted exactly as BatchDeleteImage by digest deletes them (tags, events; an image
 * an index lists stays), and `lastEvaluatedAt` is set.
 *
 * Paced so that pushes meanwhile barely notice it: the expiries go `pace.deleteBatch` at a time
 * (one short Redis script each, never one that holds Redis for long), and after each batch the
 * evaluation rests in proportion to what the batch (and the reading before it) took, working
 * `pace.dutyPercent` of the time.
 */
export async function applyLifecyclePolicy(deps: LifecycleDeps, repositoryName: string): Promise<RepositoryEvaluation> {
  const outcome = await deps.lifecycle.withEvaluationLock(repositoryName, deps.lockTtlMs ?? 60_000, async () => {
    await deps.insideLock?.(repositoryName);
    if (!(await deps.repositories.get(repositoryName))) {
      await deps.lifecycle.forget(repositoryName);
      return 0;
    }
    const stored = await deps.lifecycle.get(repositoryName);
    if (!stored) return 0;
    const now = deps.now();
    let expired = 0;
    const policy = parseLifecyclePolicy(stored.text);
    const { dutyPercent, deleteBatch } = deps.pace;
    const duty = new DutyCycle(dutyPercent);
    for await (const expiries of lifecycleExpiryChunks(deps, repositoryName, policy, now)) {
      const digests = expiries.map((e) => e.image.digest);
      for (let start = 0; start < digests.length; start += deleteBatch) {
        expired += await deleteExpired(deps.images, repositoryName, digests.slice(start, start + deleteBatch));
        await duty.rest();
      }
    }
    await deps.lifecycle.setEvaluated(repositoryName, now);
    deps.log.debug(
      { repositoryName, expired, workedMs: Math.round(duty.workedMs), restedMs: Math.round(duty.restedMs) },
      'lifecycle evaluation paced',
    );
    return expired;
  });
  return { repositoryName, evaluated: outcome !== undefined, expired: outcome ?? 0 };
}

/**
 * Deletes one batch of expired images with ImageStore.deleteMany (one script call, bulk storage
 * syncs, the events in one addBulk); answers how many went.
 */
async function deleteExpired(images: ImageStore, repositoryName: string, digests: string[]): Promise<number> {
  const outcomes = await images.deleteMany(repositoryName, digests, true, digests.length);
  return outcomes.filter((o) => o.kind === 'deleted').length;
}

/** Applies every repository's lifecycle policy, one repository after another. */
export async function applyLifecyclePolicies(deps: LifecycleDeps): Promise<RepositoryEvaluation[]> {
  const done: RepositoryEvaluation[] = [];
  for (const repositoryName of await deps.lifecycle.repositories()) {
    try {
      done.push(await applyLifecyclePolicy(deps, repositoryName));
    } catch (err) {
      deps.log.error({ err, repositoryName }, 'lifecycle policy evaluation failed');
    }
  }
  return done;
}

import { parseLifecyclePolicy } from '@longshore/domain';
import { lifecycleExpiries, type ImageStore, type LifecycleStore, type RepositoryStore } from '@longshore/metadata';
import type { Logger } from '@longshore/telemetry';

export interface LifecycleDeps {
  repositories: Pick<RepositoryStore, 'get'>;
  images: ImageStore;
  lifecycle: LifecycleStore;
  now: () => number;
  log: Logger;
  /** How long one repository's evaluation lock lives between renewals. */
  lockTtlMs?: number;
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
 * expires are deleted exactly as BatchDeleteImage by digest deletes them (tags, events; an image
 * an index lists stays), and `lastEvaluatedAt` is set.
 */
export async function applyLifecyclePolicy(deps: LifecycleDeps, repositoryName: string): Promise<RepositoryEvaluation> {
  const outcome = await deps.lifecycle.withEvaluationLock(repositoryName, deps.lockTtlMs ?? 60_000, async () => {
    if (!(await deps.repositories.get(repositoryName))) {
      await deps.lifecycle.forget(repositoryName);
      return 0;
    }
    const stored = await deps.lifecycle.get(repositoryName);
    if (!stored) return 0;
    const now = deps.now();
    const expiries = await lifecycleExpiries(deps, repositoryName, parseLifecyclePolicy(stored.text), now);
    let expired = 0;
    for (const { image } of expiries) {
      const deleted = await deps.images.delete(repositoryName, image.digest, true);
      if (deleted.kind === 'deleted') expired += 1;
    }
    await deps.lifecycle.setEvaluated(repositoryName, now);
    return expired;
  });
  return { repositoryName, evaluated: outcome !== undefined, expired: outcome ?? 0 };
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

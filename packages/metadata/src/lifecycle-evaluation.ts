import { evaluateLifecyclePolicy, type LifecycleExpiry, type LifecyclePolicy } from '@longshore/domain';
import type { ImageStore } from './image-store.js';
import type { LifecycleStore } from './lifecycle-store.js';

/**
 * The images of a repository a policy expires at `now`, from the image records (push times,
 * tags) and the recorded pulls: what a preview reports and an evaluation deletes.
 */
export async function lifecycleExpiries(
  stores: { images: ImageStore; lifecycle: LifecycleStore },
  repositoryName: string,
  policy: LifecyclePolicy,
  now: number,
): Promise<LifecycleExpiry[]> {
  const all = await stores.images.all(repositoryName);
  const pulls = policy.rules.some((r) => r.countType === 'sinceImagePulled')
    ? await stores.images.pullTimes(
        repositoryName,
        all.map((i) => i.record.digest),
      )
    : [];
  const images = all.map(({ record, tags }, i) => ({
    digest: record.digest,
    tags,
    pushedAt: record.pushedAt,
    ...(pulls[i] !== undefined ? { lastPulledAt: pulls[i] } : {}),
  }));
  return evaluateLifecyclePolicy(policy, images, now);
}

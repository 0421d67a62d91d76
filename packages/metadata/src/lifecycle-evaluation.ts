import {
  inRuleOrder,
  lifecycleEvaluator,
  type LifecycleExpiry,
  type LifecycleImage,
  type LifecyclePolicy,
} from '@longshore/domain';
import type { ImageStore } from './image-store.js';

/** Images read per chunk: a repository is never held in memory whole. */
export const LIFECYCLE_CHUNK = 1_000;

type EvaluationStores = { images: Pick<ImageStore, 'pushOrderChunk' | 'pullTimes'> };

/**
 * The images of a repository a policy expires at `now`, a chunk at a time: the repository is
 * streamed newest push first from its push-order index (with each chunk's tags and, when a rule
 * needs them, recorded pulls), through lifecycleEvaluator. Each yielded chunk holds the
 * expiries of one chunk of images; a caller may delete them before asking for the next (the
 * push-order cursor is not shifted by deletes behind it).
 */
export async function* lifecycleExpiryChunks(
  stores: EvaluationStores,
  repositoryName: string,
  policy: LifecyclePolicy,
  now: number,
  chunk = LIFECYCLE_CHUNK,
): AsyncGenerator<LifecycleExpiry[]> {
  const evaluate = lifecycleEvaluator(policy, now);
  const needsPulls = policy.rules.some((r) => r.countType === 'sinceImagePulled');
  let cursor: string | undefined;
  do {
    const read = await stores.images.pushOrderChunk(repositoryName, chunk, cursor);
    cursor = read.cursor;
    const pulls = needsPulls
      ? await stores.images.pullTimes(
          repositoryName,
          read.images.map((i) => i.digest),
        )
      : [];
    const expiries: LifecycleExpiry[] = [];
    for (const [i, { digest, pushedAt, tags }] of read.images.entries()) {
      const image: LifecycleImage = {
        digest,
        tags,
        pushedAt,
        ...(pulls[i] !== undefined ? { lastPulledAt: pulls[i] } : {}),
      };
      const expiry = evaluate(image);
      if (expiry) expiries.push(expiry);
    }
    if (expiries.length > 0) yield expiries;
  } while (cursor !== undefined);
}

/** Every expiry at once, in rule order then newest first: what a preview reports. */
export async function lifecycleExpiries(
  stores: EvaluationStores,
  repositoryName: string,
  policy: LifecyclePolicy,
  now: number,
): Promise<LifecycleExpiry[]> {
  const all: LifecycleExpiry[] = [];
  for await (const expiries of lifecycleExpiryChunks(stores, repositoryName, policy, now)) all.push(...expiries);
  return inRuleOrder(policy, all);
}

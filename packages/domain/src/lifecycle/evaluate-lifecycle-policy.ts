import type { LifecyclePolicy, LifecycleRule } from './lifecycle-policy.js';

const DAY_MS = 86_400_000;

/** What evaluation knows of an image. */
export interface LifecycleImage {
  digest: string;
  tags: string[];
  /** Epoch ms. */
  pushedAt: number;
  /** Epoch ms of the last recorded pull, if any. */
  lastPulledAt?: number;
}

/** An image a rule expires. */
export interface LifecycleExpiry {
  image: LifecycleImage;
  appliedRulePriority: number;
}

/** `*` matches any run of characters (none included); everything else is literal. */
export function tagPatternMatcher(pattern: string): (tag: string) => boolean {
  const source = pattern
    .split('*')
    .map((part) => part.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'))
    .join('.*');
  const regex = new RegExp(`^${source}$`);
  return (tag) => regex.test(tag);
}

function selector(rule: LifecycleRule): (image: LifecycleImage) => boolean {
  switch (rule.tagStatus) {
    case 'any':
      return () => true;
    case 'untagged':
      return (image) => image.tags.length === 0;
    case 'tagged': {
      // Every listed prefix or pattern must match one of the image's tags.
      const matchers = rule.tagPrefixList
        ? rule.tagPrefixList.map((prefix) => (tag: string) => tag.startsWith(prefix))
        : (rule.tagPatternList ?? []).map(tagPatternMatcher);
      return (image) => image.tags.length > 0 && matchers.every((m) => image.tags.some(m));
    }
  }
}

/**
 * Which images a policy expires, as ECR evaluates it: rules in priority order; an image a rule
 * selects (by its tags) is that rule's, expired or kept, and no later rule considers it; a
 * count rule keeps the `countNumber` most recently pushed of its images, an age rule expires its
 * images pushed (or last pulled; pushed when never pulled) more than `countNumber` days before
 * `now`. Images are returned in rule order, then newest first.
 */
export function evaluateLifecyclePolicy(
  policy: LifecyclePolicy,
  images: readonly LifecycleImage[],
  now: number,
): LifecycleExpiry[] {
  let unclaimed = images;
  const expired: LifecycleExpiry[] = [];
  for (const rule of policy.rules) {
    const selects = selector(rule);
    const selected: LifecycleImage[] = [];
    const rest: LifecycleImage[] = [];
    for (const image of unclaimed) (selects(image) ? selected : rest).push(image);
    unclaimed = rest;
    selected.sort((a, b) => b.pushedAt - a.pushedAt || (a.digest < b.digest ? -1 : 1));
    const cutoff = now - rule.countNumber * DAY_MS;
    const expires =
      rule.countType === 'imageCountMoreThan'
        ? selected.slice(rule.countNumber)
        : selected.filter((image) =>
            rule.countType === 'sinceImagePushed'
              ? image.pushedAt < cutoff
              : (image.lastPulledAt ?? image.pushedAt) < cutoff,
          );
    for (const image of expires) expired.push({ image, appliedRulePriority: rule.rulePriority });
  }
  return expired;
}

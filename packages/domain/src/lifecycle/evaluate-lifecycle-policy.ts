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
 * Evaluates a policy one image at a time, as ECR evaluates it: rules in priority order; an
 * image a rule selects (by its tags) is that rule's, expired or kept, and no later rule
 * considers it; a count rule keeps the `countNumber` most recently pushed of its images, an age
 * rule expires its images pushed (or last pulled; pushed when never pulled) more than
 * `countNumber` days before `now`. Images must come newest push first (ties by digest): then a
 * count rule knows an image's rank among its own when it sees it, and a repository can be
 * streamed through in chunks, holding only a counter per rule.
 */
export function lifecycleEvaluator(
  policy: LifecyclePolicy,
  now: number,
): (image: LifecycleImage) => LifecycleExpiry | undefined {
  const rules = policy.rules.map((rule) => ({
    rule,
    selects: selector(rule),
    cutoff: now - rule.countNumber * DAY_MS,
    seen: 0,
  }));
  return (image) => {
    const claimant = rules.find((r) => r.selects(image));
    if (!claimant) return undefined;
    claimant.seen += 1;
    const { rule, cutoff } = claimant;
    const expires =
      rule.countType === 'imageCountMoreThan'
        ? claimant.seen > rule.countNumber
        : (rule.countType === 'sinceImagePushed' ? image.pushedAt : (image.lastPulledAt ?? image.pushedAt)) < cutoff;
    return expires ? { image, appliedRulePriority: rule.rulePriority } : undefined;
  };
}

/** Newest push first, ties by digest: the order lifecycleEvaluator needs. */
export function byPushOrder(a: LifecycleImage, b: LifecycleImage): number {
  return b.pushedAt - a.pushedAt || (a.digest < b.digest ? -1 : a.digest > b.digest ? 1 : 0);
}

/** Orders expiries as a preview lists them: by rule (priority order), then as they came. */
export function inRuleOrder(policy: LifecyclePolicy, expiries: LifecycleExpiry[]): LifecycleExpiry[] {
  const rank = new Map(policy.rules.map((rule, i) => [rule.rulePriority, i]));
  return [...expiries].sort((a, b) => rank.get(a.appliedRulePriority)! - rank.get(b.appliedRulePriority)!);
}

/**
 * Which images a policy expires (lifecycleEvaluator over every image, newest first). Images are
 * returned in rule order, then newest first.
 */
export function evaluateLifecyclePolicy(
  policy: LifecyclePolicy,
  images: readonly LifecycleImage[],
  now: number,
): LifecycleExpiry[] {
  const evaluate = lifecycleEvaluator(policy, now);
  const expired = [...images].sort(byPushOrder).flatMap((image) => evaluate(image) ?? []);
  return inRuleOrder(policy, expired);
}

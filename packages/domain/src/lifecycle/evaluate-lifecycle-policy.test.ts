import { describe, expect, it } from 'vitest';
import { evaluateLifecyclePolicy, tagPatternMatcher, type LifecycleImage } from './evaluate-lifecycle-policy.js';
import { parseLifecyclePolicy } from './lifecycle-policy.js';

const DAY = 86_400_000;
const NOW = Date.UTC(2026, 11, 5);
const image = (name: string, daysAgo: number, tags: string[] = [], pulledDaysAgo?: number): LifecycleImage => ({
  digest: `sha256:${name}`,
  tags,
  pushedAt: NOW - daysAgo * DAY,
  ...(pulledDaysAgo !== undefined ? { lastPulledAt: NOW - pulledDaysAgo * DAY } : {}),
});
const expired = (rules: unknown[], images: LifecycleImage[]) =>
  evaluateLifecyclePolicy(parseLifecyclePolicy(JSON.stringify({ rules })), images, NOW).map(
    (e) => `${e.image.digest.slice(7)}@${e.appliedRulePriority}`,
  );
const expire = { type: 'expire' };

describe('lifecycle policy evaluation, as ECR describes it', () => {
  it('imageCountMoreThan keeps the newest images of the rule and expires the rest', () => {
    const images = [
      image('a', 5, ['build-1']),
      image('b', 3, ['build-2']),
      image('c', 1, ['build-3']),
      image('d', 9, ['prod']),
    ];
    expect(
      expired(
        [
          {
            rulePriority: 1,
            selection: {
              tagStatus: 'tagged',
              tagPatternList: ['build-*'],
              countType: 'imageCountMoreThan',
              countNumber: 2,
            },
            action: expire,
          },
        ],
        images,
      ),
    ).toEqual(['a@1']);
  });

  it('sinceImagePushed expires the images pushed more than countNumber days ago', () => {
    const images = [image('old', 3), image('new', 0.5), image('tagged-old', 10, ['v1'])];
    expect(
      expired(
        [
          {
            rulePriority: 1,
            selection: { tagStatus: 'untagged', countType: 'sinceImagePushed', countUnit: 'days', countNumber: 1 },
            action: expire,
          },
        ],
        images,
      ),
    ).toEqual(['old@1']);
  });

  it('sinceImagePulled goes by the last recorded pull, or the push for a never-pulled image', () => {
    const images = [
      image('pulled-lately', 30, ['a'], 1),
      image('pulled-long-ago', 30, ['b'], 20),
      image('never', 30, ['c']),
    ];
    expect(
      expired(
        [
          {
            rulePriority: 1,
            selection: { tagStatus: 'any', countType: 'sinceImagePulled', countUnit: 'days', countNumber: 14 },
            action: expire,
          },
        ],
        images,
      ),
    ).toEqual(['never@1', 'pulled-long-ago@1']);
  });

  it('a rule never considers the images an earlier rule selected, even the ones that rule kept', () => {
    const images = [
      image('p1', 1, ['prod-1']),
      image('p2', 2, ['prod-2']),
      image('p3', 3, ['prod-3']),
      image('x', 4),
      image('y', 5),
    ];
    const rules = [
      {
        rulePriority: 1,
        selection: { tagStatus: 'tagged', tagPrefixList: ['prod'], countType: 'imageCountMoreThan', countNumber: 2 },
        action: expire,
      },
      {
        rulePriority: 2,
        selection: { tagStatus: 'any', countType: 'imageCountMoreThan', countNumber: 1 },
        action: expire,
      },
    ];
    // Rule 1 owns p1..p3 (keeps p1, p2; expires p3). Rule 2 counts only x and y: keeps x, expires y.
    expect(expired(rules, images)).toEqual(['p3@1', 'y@2']);
  });

  it('a multi-entry tag list selects only images with a tag for every entry', () => {
    const images = [
      image('both', 2, ['alpha-1', 'beta-1']),
      image('alpha', 3, ['alpha-2']),
      image('beta', 4, ['beta-2']),
    ];
    expect(
      expired(
        [
          {
            rulePriority: 1,
            selection: {
              tagStatus: 'tagged',
              tagPrefixList: ['alpha', 'beta'],
              countType: 'sinceImagePushed',
              countUnit: 'days',
              countNumber: 1,
            },
            action: expire,
          },
        ],
        images,
      ),
    ).toEqual(['both@1']);
  });

  it('tag patterns: * is any run of characters, everything else literal', () => {
    const match = tagPatternMatcher('*test*1.2');
    expect(match('my-test-v1.2')).toBe(true);
    expect(match('test1.2')).toBe(true);
    expect(match('test1x2')).toBe(false);
    expect(match('test1.2-rc')).toBe(false);
  });
});

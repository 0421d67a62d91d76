import { describe, expect, it } from 'vitest';
import { InvalidParameterException } from '../errors/ecr-errors.js';
import { parseLifecyclePolicy } from './lifecycle-policy.js';

const rule = (priority: number, selection: Record<string, unknown>, extra: Record<string, unknown> = {}) => ({
  rulePriority: priority,
  selection,
  action: { type: 'expire' },
  ...extra,
});
const policy = (...rules: unknown[]) => JSON.stringify({ rules });
const keepNewest = (n: number) => ({ countType: 'imageCountMoreThan', countNumber: n });
const olderThan = (days: number, countType = 'sinceImagePushed') => ({
  countType,
  countUnit: 'days',
  countNumber: days,
});

function rejection(text: string): string {
  try {
    parseLifecyclePolicy(text);
  } catch (err) {
    expect(err).toBeInstanceOf(InvalidParameterException);
    return (err as Error).message;
  }
  throw new Error('the policy was accepted');
}

describe('lifecycle policy validity (ECR "Lifecycle policy properties")', () => {
  it('accepts every countType and tag status, and orders rules by priority', () => {
    const parsed = parseLifecyclePolicy(
      policy(
        rule(10, { tagStatus: 'any', ...keepNewest(100) }),
        rule(2, { tagStatus: 'untagged', ...olderThan(1) }),
        rule(1, { tagStatus: 'tagged', tagPatternList: ['build-*'], ...keepNewest(30) }, { description: 'builds' }),
        rule(5, { tagStatus: 'tagged', tagPrefixList: ['pr-'], ...olderThan(7, 'sinceImagePulled') }),
      ),
    );
    expect(parsed.rules.map((r) => [r.rulePriority, r.tagStatus, r.countType, r.countNumber])).toEqual([
      [1, 'tagged', 'imageCountMoreThan', 30],
      [2, 'untagged', 'sinceImagePushed', 1],
      [5, 'tagged', 'sinceImagePulled', 7],
      [10, 'any', 'imageCountMoreThan', 100],
    ]);
    expect(parsed.rules[0]!.description).toBe('builds');
  });

  it('refuses duplicate rule priorities', () => {
    expect(
      rejection(
        policy(
          rule(1, { tagStatus: 'untagged', ...keepNewest(1) }),
          rule(1, { tagStatus: 'untagged', ...keepNewest(2) }),
        ),
      ),
    ).toMatch(/rulePriority 1 is used by more than one rule/);
  });

  it('needs a tag list on a tagged rule and forbids one on untagged and any rules', () => {
    expect(rejection(policy(rule(1, { tagStatus: 'tagged', ...keepNewest(1) })))).toMatch(
      /tagPrefixList or a tagPatternList/,
    );
    expect(rejection(policy(rule(1, { tagStatus: 'untagged', tagPrefixList: ['a'], ...keepNewest(1) })))).toMatch(
      /cannot have a tagPrefixList/,
    );
    expect(rejection(policy(rule(1, { tagStatus: 'any', tagPatternList: ['a*'], ...keepNewest(1) })))).toMatch(
      /cannot have a tagPrefixList/,
    );
    expect(
      rejection(
        policy(rule(1, { tagStatus: 'tagged', tagPrefixList: ['a'], tagPatternList: ['a*'], ...keepNewest(1) })),
      ),
    ).toMatch(/both/);
  });

  it('allows at most four wildcards a tag pattern', () => {
    expect(() =>
      parseLifecyclePolicy(policy(rule(1, { tagStatus: 'tagged', tagPatternList: ['*test*1*2*3'], ...keepNewest(1) }))),
    ).not.toThrow();
    expect(
      rejection(policy(rule(1, { tagStatus: 'tagged', tagPatternList: ['test*1*2*3*4*5*6'], ...keepNewest(1) }))),
    ).toMatch(/more than 4 wildcards/);
  });

  it('puts an any rule last', () => {
    expect(
      rejection(
        policy(rule(1, { tagStatus: 'any', ...keepNewest(5) }), rule(2, { tagStatus: 'untagged', ...keepNewest(1) })),
      ),
    ).toMatch(/tagStatus any must have the highest rulePriority/);
  });

  it('takes days with the since count types only, positive counts, and the expire action only', () => {
    expect(
      rejection(policy(rule(1, { tagStatus: 'untagged', countType: 'sinceImagePushed', countNumber: 1 }))),
    ).toMatch(/countUnit must be days/);
    expect(rejection(policy(rule(1, { tagStatus: 'untagged', ...keepNewest(1), countUnit: 'days' })))).toMatch(
      /countUnit is not allowed/,
    );
    expect(rejection(policy(rule(1, { tagStatus: 'untagged', ...keepNewest(0) })))).toMatch(/countNumber/);
    expect(
      rejection(policy(rule(1, { tagStatus: 'untagged', countType: 'imageCountLessThan', countNumber: 1 }))),
    ).toMatch(/countType/);
    expect(
      rejection(policy(rule(1, { tagStatus: 'untagged', ...keepNewest(1) }, { action: { type: 'archive' } }))),
    ).toMatch(/action/);
  });

  it('refuses what is not a policy', () => {
    expect(rejection('not json')).toMatch(/not valid JSON/);
    expect(rejection(JSON.stringify({ rules: [] }))).toMatch(/non-empty/);
    expect(
      rejection(JSON.stringify({ rules: [rule(1, { tagStatus: 'untagged', ...keepNewest(1) })], extra: 1 })),
    ).toMatch(/"rules" only/);
  });
});

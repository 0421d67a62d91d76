import { InvalidParameterException } from '../errors/ecr-errors.js';

export type LifecycleTagStatus = 'tagged' | 'untagged' | 'any';
export type LifecycleCountType = 'imageCountMoreThan' | 'sinceImagePushed' | 'sinceImagePulled';

/** One rule of a lifecycle policy, as validated. */
export interface LifecycleRule {
  rulePriority: number;
  description?: string;
  tagStatus: LifecycleTagStatus;
  /** Every prefix must be the start of one of an image's tags (all listed prefixes). */
  tagPrefixList?: string[];
  /** Every pattern (`*` matches any run of characters) must match one of an image's tags. */
  tagPatternList?: string[];
  countType: LifecycleCountType;
  /** Days, for the `since…` count types. */
  countNumber: number;
}

/** A lifecycle policy: its rules in priority order (lowest `rulePriority` first). */
export interface LifecyclePolicy {
  rules: LifecycleRule[];
}

const MAX_WILDCARDS = 4;
const RULE_KEYS = new Set(['rulePriority', 'description', 'selection', 'action']);
const SELECTION_KEYS = new Set([
  'tagStatus',
  'tagPrefixList',
  'tagPatternList',
  'countType',
  'countUnit',
  'countNumber',
]);

function invalid(reason: string): InvalidParameterException {
  return new InvalidParameterException(
    `Invalid parameter at 'LifecyclePolicyText' failed to satisfy constraint: 'Lifecycle policy validation failure: ${reason}'`,
  );
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

function stringList(value: unknown, name: string, priority: number): string[] {
  if (!Array.isArray(value) || value.length === 0 || !value.every((s) => typeof s === 'string' && s.length > 0)) {
    throw invalid(`${name} of rule ${priority} must be a non-empty list of non-empty strings`);
  }
  return value as string[];
}

function parseRule(raw: unknown): LifecycleRule {
  if (!isObject(raw)) throw invalid('each rule must be an object');
  const unknownKey = Object.keys(raw).find((k) => !RULE_KEYS.has(k));
  if (unknownKey) throw invalid(`unknown rule property '${unknownKey}'`);
  const { rulePriority, description, selection, action } = raw;
  if (typeof rulePriority !== 'number' || !Number.isInteger(rulePriority) || rulePriority < 1) {
    throw invalid('rulePriority must be an integer of 1 or more');
  }
  if (description !== undefined && typeof description !== 'string') {
    throw invalid(`description of rule ${rulePriority} must be a string`);
  }
  if (!isObject(action) || action.type !== 'expire' || Object.keys(action).some((k) => k !== 'type')) {
    throw invalid(`action of rule ${rulePriority} must be {"type": "expire"}`);
  }
  if (!isObject(selection)) throw invalid(`selection of rule ${rulePriority} is required`);
  const unknownSelection = Object.keys(selection).find((k) => !SELECTION_KEYS.has(k));
  if (unknownSelection) throw invalid(`unknown selection property '${unknownSelection}' in rule ${rulePriority}`);
  const { tagStatus, tagPrefixList, tagPatternList, countType, countUnit, countNumber } = selection;
  if (tagStatus !== 'tagged' && tagStatus !== 'untagged' && tagStatus !== 'any') {
    throw invalid(`tagStatus of rule ${rulePriority} must be tagged, untagged or any`);
  }
  const rule: LifecycleRule = { rulePriority, tagStatus, countType: 'imageCountMoreThan', countNumber: 0 };
  if (description !== undefined) rule.description = description;
  if (tagStatus === 'tagged') {
    if (tagPrefixList === undefined && tagPatternList === undefined) {
      throw invalid(`rule ${rulePriority} with tagStatus tagged must have a tagPrefixList or a tagPatternList`);
    }
    if (tagPrefixList !== undefined && tagPatternList !== undefined) {
      throw invalid(`rule ${rulePriority} cannot have both a tagPrefixList and a tagPatternList`);
    }
    if (tagPrefixList !== undefined) rule.tagPrefixList = stringList(tagPrefixList, 'tagPrefixList', rulePriority);
    if (tagPatternList !== undefined) {
      rule.tagPatternList = stringList(tagPatternList, 'tagPatternList', rulePriority);
      const wild = rule.tagPatternList.find((p) => p.split('*').length - 1 > MAX_WILDCARDS);
      if (wild) throw invalid(`tag pattern '${wild}' of rule ${rulePriority} has more than ${MAX_WILDCARDS} wildcards`);
    }
  } else if (tagPrefixList !== undefined || tagPatternList !== undefined) {
    throw invalid(`rule ${rulePriority} with tagStatus ${tagStatus} cannot have a tagPrefixList or a tagPatternList`);
  }
  if (countType !== 'imageCountMoreThan' && countType !== 'sinceImagePushed' && countType !== 'sinceImagePulled') {
    throw invalid(`countType of rule ${rulePriority} must be imageCountMoreThan, sinceImagePushed or sinceImagePulled`);
  }
  rule.countType = countType;
  if (countType === 'imageCountMoreThan') {
    if (countUnit !== undefined)
      throw invalid(`rule ${rulePriority}: countUnit is not allowed with imageCountMoreThan`);
  } else if (countUnit !== 'days') {
    throw invalid(`rule ${rulePriority}: countUnit must be days with ${countType}`);
  }
  if (typeof countNumber !== 'number' || !Number.isInteger(countNumber) || countNumber < 1) {
    throw invalid(`countNumber of rule ${rulePriority} must be an integer of 1 or more`);
  }
  rule.countNumber = countNumber;
  return rule;
}

/**
 * Parses and validates a lifecycle policy text by ECR's rules (the user guide's "Lifecycle policy
 * properties"): unique `rulePriority`s; `tagged` needs a `tagPrefixList` or a `tagPatternList`
 * (at most four `*` a pattern), `untagged` and `any` have neither; an `any` rule has the highest
 * priority; `countType` `imageCountMoreThan` (no unit) or `sinceImagePushed`/`sinceImagePulled`
 * with `countUnit` `days`; `action.type` `expire`. Anything else is InvalidParameterException.
 */
export function parseLifecyclePolicy(text: string): LifecyclePolicy {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw invalid('the policy is not valid JSON');
  }
  if (!isObject(parsed) || Object.keys(parsed).some((k) => k !== 'rules')) {
    throw invalid('the policy must be an object with "rules" only');
  }
  if (!Array.isArray(parsed.rules) || parsed.rules.length === 0) throw invalid('"rules" must be a non-empty list');
  const rules = parsed.rules.map(parseRule).sort((a, b) => a.rulePriority - b.rulePriority);
  for (let i = 1; i < rules.length; i++) {
    if (rules[i]!.rulePriority === rules[i - 1]!.rulePriority) {
      throw invalid(`rulePriority ${rules[i]!.rulePriority} is used by more than one rule`);
    }
  }
  const anyRule = rules.findIndex((r) => r.tagStatus === 'any');
  if (anyRule !== -1 && anyRule !== rules.length - 1) {
    throw invalid('a rule with tagStatus any must have the highest rulePriority');
  }
  return { rules };
}

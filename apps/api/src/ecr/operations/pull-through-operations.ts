import { InvalidParameterException } from '@longshore/domain';
import type { PullThroughRule } from '../../pull-through/pull-through-rule.js';
import type { PullThroughRules } from '../../pull-through/pull-through-rules.js';
import type { OperationTable } from './index.js';

type PullThroughOperations = Pick<
  OperationTable,
  | 'CreatePullThroughCacheRule'
  | 'DescribePullThroughCacheRules'
  | 'UpdatePullThroughCacheRule'
  | 'DeletePullThroughCacheRule'
  | 'ValidatePullThroughCacheRule'
>;

const DEFAULT_PAGE = 100;

/**
 * ECR's five pull-through cache rule operations (timestamps in epoch seconds, as AWS JSON 1.1 sends
 * them). The ECR door has checked each request's registryId when it decoded it.
 */
export function createPullThroughOperations(deps: { rules: PullThroughRules }): PullThroughOperations {
  const { rules } = deps;
  return {
    async CreatePullThroughCacheRule(input) {
      const rule = await rules.create(input);
      return { ...ruleFields(rule), createdAt: seconds(rule.createdAt) };
    },

    async DescribePullThroughCacheRules(input) {
      if (input.ecrRepositoryPrefixes && (input.nextToken || input.maxResults)) {
        throw new InvalidParameterException('ecrRepositoryPrefixes cannot be combined with nextToken or maxResults');
      }
      const all = await rules.describe(input.ecrRepositoryPrefixes);
      const after = input.nextToken ? Buffer.from(input.nextToken, 'base64url').toString('utf8') : undefined;
      if (input.nextToken && !after) throw new InvalidParameterException("Invalid parameter at 'nextToken'");
      const start = after === undefined ? all : all.filter((r) => r.ecrRepositoryPrefix > after);
      const page = start.slice(0, input.maxResults ?? DEFAULT_PAGE);
      const more = start.length > page.length;
      return {
        pullThroughCacheRules: page.map((rule) => ({
          ...ruleFields(rule),
          createdAt: seconds(rule.createdAt),
          updatedAt: seconds(rule.updatedAt),
        })),
        ...(more ? { nextToken: Buffer.from(page[page.length - 1]!.ecrRepositoryPrefix).toString('base64url') } : {}),
      };
    },

    async UpdatePullThroughCacheRule(input) {
      const rule = await rules.update(input);
      return {
        ecrRepositoryPrefix: rule.ecrRepositoryPrefix,
        registryId: rule.registryId,
        updatedAt: seconds(rule.updatedAt),
        ...(rule.credentialArn !== undefined ? { credentialArn: rule.credentialArn } : {}),
        ...(rule.customRoleArn !== undefined ? { customRoleArn: rule.customRoleArn } : {}),
        ...(rule.upstreamRepositoryPrefix !== undefined
          ? { upstreamRepositoryPrefix: rule.upstreamRepositoryPrefix }
          : {}),
      };
    },

    async DeletePullThroughCacheRule(input) {
      const rule = await rules.delete(input.ecrRepositoryPrefix);
      const { upstreamRegistry: _u, ...fields } = ruleFields(rule);
      return { ...fields, createdAt: seconds(rule.createdAt) };
    },

    async ValidatePullThroughCacheRule(input) {
      const { rule, isValid, failure } = await rules.validate(input.ecrRepositoryPrefix);
      const { upstreamRegistry: _u, ...fields } = ruleFields(rule);
      return { ...fields, isValid, ...(failure !== undefined ? { failure } : {}) };
    },
  };
}

function ruleFields(rule: PullThroughRule) {
  return {
    ecrRepositoryPrefix: rule.ecrRepositoryPrefix,
    upstreamRegistryUrl: rule.upstreamRegistryUrl,
    registryId: rule.registryId,
    ...(rule.upstreamRegistry !== undefined ? { upstreamRegistry: rule.upstreamRegistry } : {}),
    ...(rule.credentialArn !== undefined ? { credentialArn: rule.credentialArn } : {}),
    ...(rule.customRoleArn !== undefined ? { customRoleArn: rule.customRoleArn } : {}),
    ...(rule.upstreamRepositoryPrefix !== undefined ? { upstreamRepositoryPrefix: rule.upstreamRepositoryPrefix } : {}),
  };
}

function seconds(ms: number): number {
  return ms / 1000;
}

import {
  InvalidParameterException,
  PullThroughCacheRuleAlreadyExistsException,
  PullThroughCacheRuleNotFoundException,
  SecretNotFoundException,
  type CreatePullThroughCacheRuleInput,
  type UpdatePullThroughCacheRuleInput,
} from '@longshore/domain';
import { normalizePrefix, upstreamBaseUrl, type PullThroughRule } from './pull-through-rule.js';
import type { PullThroughRuleStore } from './pull-through-rule-store.js';
import type { UpstreamCredentials } from './upstream-credentials.js';
import { UpstreamError } from './upstream-error.js';
import type { UpstreamRegistry } from './upstream-registry.js';

export interface RuleValidation {
  rule: PullThroughRule;
  isValid: boolean;
  failure?: string;
}

/** The most rules one registry holds (ECR's default quota is 50). */
const MAX_RULES = 50;

/**
 * The pull-through cache rules as the ECR operations manage them. Beyond ECR's fixed list of
 * upstreams, any OCI registry URL is accepted (see upstreamBaseUrl).
 */
export class PullThroughRules {
  constructor(
    private readonly deps: {
      store: PullThroughRuleStore;
      credentials: UpstreamCredentials;
      upstream: UpstreamRegistry;
      registryId: string;
    },
  ) {}

  async create(input: CreatePullThroughCacheRuleInput, now = Date.now()): Promise<PullThroughRule> {
    upstreamBaseUrl(input.upstreamRegistryUrl);
    if (input.credentialArn !== undefined) this.requireCredential(input.credentialArn);
    const prefix = normalizePrefix(input.ecrRepositoryPrefix);
    const rule: PullThroughRule = {
      ecrRepositoryPrefix: prefix,
      upstreamRegistryUrl: input.upstreamRegistryUrl,
      ...(input.upstreamRegistry !== undefined ? { upstreamRegistry: input.upstreamRegistry } : {}),
      ...(input.upstreamRepositoryPrefix !== undefined
        ? { upstreamRepositoryPrefix: normalizePrefix(input.upstreamRepositoryPrefix) }
        : {}),
      ...(input.credentialArn !== undefined ? { credentialArn: input.credentialArn } : {}),
      ...(input.customRoleArn !== undefined ? { customRoleArn: input.customRoleArn } : {}),
      registryId: this.deps.registryId,
      createdAt: now,
      updatedAt: now,
    };
    if ((await this.deps.store.list()).length >= MAX_RULES) {
      throw new InvalidParameterException(`A registry holds at most ${MAX_RULES} pull-through cache rules`);
    }
    if (!(await this.deps.store.create(rule))) {
      throw new PullThroughCacheRuleAlreadyExistsException(
        `A pull-through cache rule with the ecrRepositoryPrefix '${prefix}' already exists in the registry with id '${this.deps.registryId}'`,
      );
    }
    return rule;
  }

  /** The rules named (every one must exist), or all of them. */
  async describe(prefixes: string[] | undefined): Promise<PullThroughRule[]> {
    if (!prefixes) return this.deps.store.list();
    return Promise.all(prefixes.map((p) => this.require(p)));
  }

  async update(input: UpdatePullThroughCacheRuleInput, now = Date.now()): Promise<PullThroughRule> {
    if (input.credentialArn !== undefined) this.requireCredential(input.credentialArn);
    const current = await this.require(input.ecrRepositoryPrefix);
    const { credentialArn: _c, customRoleArn: _r, ...rest } = current;
    const updated: PullThroughRule = {
      ...rest,
      ...(input.credentialArn !== undefined ? { credentialArn: input.credentialArn } : {}),
      ...(input.customRoleArn !== undefined ? { customRoleArn: input.customRoleArn } : {}),
      updatedAt: now,
    };
    if (!(await this.deps.store.update(updated))) throw this.notFound(updated.ecrRepositoryPrefix);
    return updated;
  }

  async delete(prefix: string): Promise<PullThroughRule> {
    const removed = await this.deps.store.delete(normalizePrefix(prefix));
    if (!removed) throw this.notFound(normalizePrefix(prefix));
    return removed;
  }

  /** Whether the upstream answers `/v2/` with the rule's credentials. */
  async validate(prefix: string): Promise<RuleValidation> {
    const rule = await this.require(prefix);
    const credential = rule.credentialArn ? this.deps.credentials.get(rule.credentialArn) : undefined;
    if (rule.credentialArn && !credential) {
      return {
        rule,
        isValid: false,
        failure: `The credential '${rule.credentialArn}' is not in UPSTREAM_CREDENTIALS_FILE`,
      };
    }
    try {
      await this.deps.upstream.ping({
        baseUrl: upstreamBaseUrl(rule.upstreamRegistryUrl),
        ...(credential ? { credential } : {}),
      });
      return { rule, isValid: true };
    } catch (err) {
      if (!(err instanceof UpstreamError)) throw err;
      return { rule, isValid: false, failure: err.message };
    }
  }

  private async require(prefix: string): Promise<PullThroughRule> {
    const normalized = normalizePrefix(prefix);
    const rule = await this.deps.store.get(normalized);
    if (!rule) throw this.notFound(normalized);
    return rule;
  }

  private requireCredential(arn: string): void {
    if (!this.deps.credentials.has(arn)) {
      throw new SecretNotFoundException(`The credential '${arn}' is not in UPSTREAM_CREDENTIALS_FILE`);
    }
  }

  private notFound(prefix: string): PullThroughCacheRuleNotFoundException {
    return new PullThroughCacheRuleNotFoundException(
      `The pull-through cache rule with the ecrRepositoryPrefix '${prefix}' does not exist in the registry with id '${this.deps.registryId}'`,
    );
  }
}

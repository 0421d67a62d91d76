import type { Cluster, Redis } from 'ioredis';
import type { StorageMirror } from '@longshore/metadata';
import type { PullThroughRule } from './pull-through-rule.js';

/**
 * The pull-through cache rules of the registry, shared by every API replica: one Redis hash,
 * ecrRepositoryPrefix → rule JSON (`keys.pullThroughRules`). Each read goes to Redis, so a rule
 * deleted on one replica stops every replica's next fetch. With a `mirror`, every change is
 * also written to the storage before the method returns, as repository records and lifecycle
 * policies are (the storage is the truth: `longshore rebuild-index` restores the rules from it).
 */
export class PullThroughRuleStore {
  constructor(
    private readonly redis: Redis | Cluster,
    /** The hash of the rules (`keys.pullThroughRules`). */
    private readonly key: string,
    private readonly mirror?: Pick<StorageMirror, 'syncPullThroughRule'>,
  ) {}

  /** Stores a new rule; false when one with its prefix exists. */
  async create(rule: PullThroughRule): Promise<boolean> {
    const created = await this.redis.hsetnx(this.key, rule.ecrRepositoryPrefix, JSON.stringify(rule));
    // Also when it existed: the storage follows what Redis holds (repairs a crash between the two).
    await this.mirror?.syncPullThroughRule(rule.ecrRepositoryPrefix);
    return created === 1;
  }

  /** Replaces an existing rule; false when none has its prefix. */
  async update(rule: PullThroughRule): Promise<boolean> {
    // HSET of an existing field answers 0; checking first keeps a deleted rule deleted.
    const replaced = await this.redis.eval(
      "if redis.call('HEXISTS', KEYS[1], ARGV[1]) == 0 then return 0 end redis.call('HSET', KEYS[1], ARGV[1], ARGV[2]) return 1",
      1,
      this.key,
      rule.ecrRepositoryPrefix,
      JSON.stringify(rule),
    );
    await this.mirror?.syncPullThroughRule(rule.ecrRepositoryPrefix);
    return replaced === 1;
  }

  async get(prefix: string): Promise<PullThroughRule | undefined> {
    const json = await this.redis.hget(this.key, prefix);
    return json ? (JSON.parse(json) as PullThroughRule) : undefined;
  }

  /** Every rule, ordered by prefix. */
  async list(): Promise<PullThroughRule[]> {
    const all = await this.redis.hgetall(this.key);
    return Object.keys(all)
      .sort()
      .map((prefix) => JSON.parse(all[prefix]!) as PullThroughRule);
  }

  /** Removes a rule and answers it; undefined when none has the prefix. */
  async delete(prefix: string): Promise<PullThroughRule | undefined> {
    const json = (await this.redis.eval(
      "local v = redis.call('HGET', KEYS[1], ARGV[1]) if v then redis.call('HDEL', KEYS[1], ARGV[1]) end return v",
      1,
      this.key,
      prefix,
    )) as string | null;
    await this.mirror?.syncPullThroughRule(prefix);
    return json ? (JSON.parse(json) as PullThroughRule) : undefined;
  }
}

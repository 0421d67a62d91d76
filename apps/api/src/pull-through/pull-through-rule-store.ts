import type { Cluster, Redis } from 'ioredis';
import type { PullThroughRule } from './pull-through-rule.js';

/**
 * The pull-through cache rules of the registry, shared by every API replica: one Redis hash,
 * ecrRepositoryPrefix → rule JSON, under the deployment's key prefix. Each read goes to Redis,
 * so a rule deleted on one replica stops every replica's next fetch.
 */
export class PullThroughRuleStore {
  private readonly key: string;

  constructor(
    private readonly redis: Redis | Cluster,
    /** The deployment's key prefix, without a cluster hash tag's braces. */
    prefix: string,
  ) {
    this.key = `${prefix}:pull-through-rules`;
  }

  /** Stores a new rule; false when one with its prefix exists. */
  async create(rule: PullThroughRule): Promise<boolean> {
    return (await this.redis.hsetnx(this.key, rule.ecrRepositoryPrefix, JSON.stringify(rule))) === 1;
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
    return json ? (JSON.parse(json) as PullThroughRule) : undefined;
  }
}

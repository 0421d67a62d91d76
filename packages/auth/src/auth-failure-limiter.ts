import { RateLimiterRedis } from 'rate-limiter-flexible';
import { ThrottlingException } from '@longshore/domain';
import type { Cluster, Redis } from 'ioredis';

export interface AuthFailureLimits {
  /** Failed authentications allowed per (source address, access key id) in one window. */
  maxFailures: number;
  windowSeconds: number;
}

export interface FailureSubject {
  /** The client's address (as `TRUST_PROXY` lets the API see it). */
  source: string;
  /** The access key id the request claimed, when it named one. */
  accessKeyId?: string | undefined;
}

/** A (source, key id) pair that failed too often, and until when it is refused. */
export interface AuthBlock extends FailureSubject {
  /** Epoch ms when the block ends on its own. */
  until: number;
  failures: number;
}

/** What a counter key holds for a request without a key id. */
const NO_KEY = '-';

/**
 * Counts failed authentications per (source address, claimed access key id) together, in Redis,
 * so every replica sees the same counts (rate-limiter-flexible's atomic INCR-with-TTL). The
 * counts only ever refuse failures: a request whose credentials verify is never refused by them,
 * so nobody can lock out a key by failing with its id, and one bad client behind a NAT blocks
 * only its own (address, key) pair. Each pair's counter has its own Redis Cluster hash tag,
 * so the counters spread over the cluster. Pairs that reached the limit are also indexed (one
 * sorted set) so an operator can list and lift them (`listBlocks`, `liftBlock`).
 */
export class AuthFailureLimiter {
  private readonly counts: RateLimiterRedis;

  constructor(
    private readonly redis: Redis | Cluster,
    /** The deployment's key prefix, without a hash tag. */
    private readonly keyPrefix: string,
    private readonly limits: AuthFailureLimits,
  ) {
    this.counts = new RateLimiterRedis({
      storeClient: redis,
      points: limits.maxFailures,
      duration: limits.windowSeconds,
      keyPrefix: `${keyPrefix}:auth-failures`,
    });
  }

  private get blocksKey(): string {
    return `${this.keyPrefix}:auth-blocks`;
  }

  /**
   * Counts one failure of the pair. Throws ThrottlingException (with Retry-After seconds) when
   * the pair had already used up its failures: the caller answers that instead of the failure.
   */
  async recordFailure(subject: FailureSubject, now = Date.now()): Promise<void> {
    const res = await this.counts.penalty(counterOf(subject));
    if (res.consumedPoints < this.limits.maxFailures) return;
    const until = now + res.msBeforeNext;
    if (res.consumedPoints === this.limits.maxFailures) {
      await this.redis.zadd(this.blocksKey, until, memberOf(subject));
      return;
    }
    throw new ThrottlingException(
      'Rate exceeded: too many failed authentication attempts',
      Math.max(1, Math.ceil(res.msBeforeNext / 1000)),
    );
  }

  /** The pairs refused now, soonest-ending first. */
  async listBlocks(now = Date.now()): Promise<AuthBlock[]> {
    await this.redis.zremrangebyscore(this.blocksKey, '-inf', now);
    const members = await this.redis.zrange(this.blocksKey, 0, -1);
    const blocks: AuthBlock[] = [];
    for (const member of members) {
      const subject = subjectOf(member);
      const res = await this.counts.get(counterOf(subject));
      if (!res || res.consumedPoints < this.limits.maxFailures) {
        await this.redis.zrem(this.blocksKey, member);
        continue;
      }
      blocks.push({ ...subject, until: now + res.msBeforeNext, failures: res.consumedPoints });
    }
    return blocks.sort((a, b) => a.until - b.until);
  }

  /** Forgets the pair's failures at once; whether it was blocked. */
  async liftBlock(subject: FailureSubject): Promise<boolean> {
    const [removed] = await Promise.all([
      this.redis.zrem(this.blocksKey, memberOf(subject)),
      this.counts.delete(counterOf(subject)),
    ]);
    return removed > 0;
  }
}

/** `{<source>|<key id>}`: the pair's own hash tag. */
function counterOf(subject: FailureSubject): string {
  return `{${subject.source}|${subject.accessKeyId ?? NO_KEY}}`;
}

function memberOf(subject: FailureSubject): string {
  return JSON.stringify([subject.source, subject.accessKeyId ?? NO_KEY]);
}

function subjectOf(member: string): FailureSubject {
  const [source, key] = JSON.parse(member) as [string, string];
  return { source, ...(key === NO_KEY ? {} : { accessKeyId: key }) };
}

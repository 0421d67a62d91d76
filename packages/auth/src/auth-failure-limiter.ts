import { RateLimiterRedis, type RateLimiterRes } from 'rate-limiter-flexible';
import { ThrottlingException } from '@longshore/domain';
import type { Cluster, Redis } from 'ioredis';

export interface AuthFailureLimits {
  /** Failed authentications allowed per source address, and per access key id, in one window. */
  maxFailures: number;
  windowSeconds: number;
}

export interface FailureSubject {
  /** The client's address. */
  source: string;
  /** The access key id the request claimed, when it named one. */
  accessKeyId?: string | undefined;
}

/**
 * Counts failed authentications per source address and per access key id in Redis, so every
 * replica sees the same counts (rate-limiter-flexible's atomic INCR-with-TTL). Once either
 * count reaches the limit, requests from that source or for that key are refused with
 * ThrottlingException until the window ends, before any signature is checked.
 */
export class AuthFailureLimiter {
  private readonly bySource: RateLimiterRedis;
  private readonly byKey: RateLimiterRedis;

  constructor(
    redis: Redis | Cluster,
    keyPrefix: string,
    private readonly limits: AuthFailureLimits,
  ) {
    const options = { storeClient: redis, points: limits.maxFailures, duration: limits.windowSeconds };
    this.bySource = new RateLimiterRedis({ ...options, keyPrefix: `${keyPrefix}:auth-failures:source` });
    this.byKey = new RateLimiterRedis({ ...options, keyPrefix: `${keyPrefix}:auth-failures:key` });
  }

  /** Throws ThrottlingException (with Retry-After seconds) when the source or the key is over its limit. */
  async check(subject: FailureSubject): Promise<void> {
    const [source, key] = await Promise.all([
      this.bySource.get(subject.source),
      subject.accessKeyId ? this.byKey.get(subject.accessKeyId) : null,
    ]);
    const blocked = [source, key].filter(
      (r): r is RateLimiterRes => r !== null && r.consumedPoints >= this.limits.maxFailures,
    );
    if (blocked.length === 0) return;
    const retryAfter = Math.max(1, Math.ceil(Math.max(...blocked.map((r) => r.msBeforeNext)) / 1000));
    throw new ThrottlingException('Rate exceeded: too many failed authentication attempts', retryAfter);
  }

  /** Counts one failure against the source and the claimed key. */
  async recordFailure(subject: FailureSubject): Promise<void> {
    await Promise.all([
      this.bySource.penalty(subject.source),
      subject.accessKeyId ? this.byKey.penalty(subject.accessKeyId) : undefined,
    ]);
  }
}

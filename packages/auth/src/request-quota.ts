import { RateLimiterRedis, RateLimiterRes } from 'rate-limiter-flexible';
import { ThrottlingException } from '@longshore/domain';
import type { Cluster, Redis } from 'ioredis';

export interface RequestQuotaLimits {
  /** Requests one access key may make per window; 0 turns quotas off. */
  requests: number;
  windowSeconds: number;
}

/**
 * Optional per-key request quotas, counted in Redis so all replicas share them. When a key's
 * requests in the current window reach the quota, further requests get ThrottlingException.
 */
export class RequestQuota {
  private readonly limiter: RateLimiterRedis | undefined;

  /** `keyPrefix`: the deployment's, without a hash tag; each key's counter has its own (`{<key id>}`). */
  constructor(redis: Redis | Cluster, keyPrefix: string, limits: RequestQuotaLimits) {
    this.limiter =
      limits.requests > 0
        ? new RateLimiterRedis({
            storeClient: redis,
            keyPrefix: `${keyPrefix}:quota`,
            points: limits.requests,
            duration: limits.windowSeconds,
          })
        : undefined;
  }

  get enabled(): boolean {
    return this.limiter !== undefined;
  }

  /** Spends one request of the key's quota, or throws ThrottlingException with Retry-After. */
  async spend(accessKeyId: string): Promise<void> {
    if (!this.limiter) return;
    try {
      await this.limiter.consume(`{${accessKeyId}}`);
    } catch (err) {
      if (!(err instanceof RateLimiterRes)) throw err;
      throw new ThrottlingException(
        'Rate exceeded: this access key has used its request quota',
        Math.max(1, Math.ceil(err.msBeforeNext / 1000)),
      );
    }
  }
}

import { randomUUID } from 'node:crypto';
import type { Cluster, Redis } from 'ioredis';

/** A held lease: renewed in the background until released. */
export interface HeldLease {
  release(): Promise<void>;
}

/** What one upstream fetch is about: a blob, or where a repository's reference (tag or digest) points. */
export type FetchSubject =
  | { kind: 'blob'; digest: string }
  | { kind: 'manifest'; repositoryName: string; reference: string };

const RELEASE = "if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end return 0";
const RENEW =
  "if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('PEXPIRE', KEYS[1], ARGV[2]) end return 0";

/**
 * Who fetches a blob, or a manifest by one reference, from an upstream: one holder per subject
 * across every API process and host (a Redis key set NX with a time limit, renewed while the
 * fetch runs, so a holder that dies frees it within `leaseMs`). The others wait for what it
 * stores, or for the lease to end without it.
 */
export class FetchLease {
  constructor(
    private readonly redis: Redis | Cluster,
    /** The deployment's key prefix, without a cluster hash tag's braces. */
    private readonly prefix: string,
    private readonly leaseMs = 15_000,
  ) {}

  private key(subject: FetchSubject): string {
    return subject.kind === 'blob'
      ? `${this.prefix}:{blob:${subject.digest}}:pull-through-fetch`
      : `${this.prefix}:{repo:${subject.repositoryName}}:pull-through-refresh:${subject.reference}`;
  }

  /** The lease on `subject`, or undefined when another fetch holds it. */
  async acquire(subject: FetchSubject): Promise<HeldLease | undefined> {
    const key = this.key(subject);
    const token = randomUUID();
    const set = await this.redis.set(key, token, 'PX', this.leaseMs, 'NX');
    if (set !== 'OK') return undefined;
    const renew = setInterval(() => {
      void this.redis.eval(RENEW, 1, key, token, String(this.leaseMs)).catch(() => undefined);
    }, this.leaseMs / 3);
    renew.unref();
    return {
      release: async () => {
        clearInterval(renew);
        await this.redis.eval(RELEASE, 1, key, token);
      },
    };
  }

  /** Whether a fetch of `subject` holds the lease. */
  async held(subject: FetchSubject): Promise<boolean> {
    return (await this.redis.exists(this.key(subject))) === 1;
  }
}

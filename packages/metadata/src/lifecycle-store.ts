import { randomUUID } from 'node:crypto';
import type { Cluster, Redis } from 'ioredis';
import type { StorageMirror } from './durable/storage-mirror.js';
import type { Keys, LifecycleKeys } from './keys.js';
import { runScript } from './keys.js';
import { compareAndDelete } from './scripts/compare-and-delete.js';

/** A repository's lifecycle policy as stored. */
export interface StoredLifecyclePolicy {
  text: string;
  /** Epoch ms of the last evaluation that applied it. */
  lastEvaluatedAt?: number;
}

/** One image a preview would expire. */
export interface PreviewedExpiry {
  imageDigest: string;
  imageTags: string[];
  /** Epoch ms. */
  imagePushedAt: number;
  appliedRulePriority: number;
}

/** The last preview of a repository. */
export interface LifecyclePreview {
  status: 'IN_PROGRESS' | 'COMPLETE' | 'FAILED';
  lifecyclePolicyText: string;
  results: PreviewedExpiry[];
}

/** How long a preview may stay IN_PROGRESS before another may start (a crashed API never blocks it). */
const PREVIEW_IN_PROGRESS_MS = 10 * 60_000;

/**
 * renewLock — extends a lock's TTL only while it holds our token.
 * KEYS[1] the lock   ARGV[1] token   ARGV[2] TTL (ms). Returns 1 when renewed.
 */
const renewLockScript = {
  numberOfKeys: 1,
  lua: `
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('PEXPIRE', KEYS[1], ARGV[2]) end
return 0
`,
};

/** Lifecycle policies, their previews and the evaluation lock, per repository (pull times: ImageStore). */
export class LifecycleStore {
  constructor(
    private readonly redis: Redis | Cluster,
    private readonly keys: Keys,
    /** Writes each policy change to the storage too (see durable/storage-mirror.ts). */
    private readonly mirror?: StorageMirror,
  ) {}

  private k(repositoryName: string): LifecycleKeys {
    return this.keys.lifecycle(repositoryName);
  }

  async put(repositoryName: string, text: string): Promise<void> {
    await this.redis.hset(this.k(repositoryName).policy, 'policy', text);
    await this.redis.sadd(this.keys.lifecycleRepositories, repositoryName);
    await this.mirror?.syncLifecyclePolicy(repositoryName);
  }

  async get(repositoryName: string): Promise<StoredLifecyclePolicy | undefined> {
    const [text, evaluated] = await this.redis.hmget(this.k(repositoryName).policy, 'policy', 'lastEvaluatedAt');
    if (!text) return undefined;
    return { text, ...(evaluated ? { lastEvaluatedAt: Number(evaluated) } : {}) };
  }

  /** Removes the policy; answers what it was. */
  async delete(repositoryName: string): Promise<StoredLifecyclePolicy | undefined> {
    const found = await this.get(repositoryName);
    if (!found) return undefined;
    await this.redis.del(this.k(repositoryName).policy);
    await this.redis.srem(this.keys.lifecycleRepositories, repositoryName);
    await this.mirror?.syncLifecyclePolicy(repositoryName);
    return found;
  }

  async setEvaluated(repositoryName: string, at: number): Promise<void> {
    // Only while the policy exists: a policy deleted during the evaluation stays deleted.
    if (await this.redis.hexists(this.k(repositoryName).policy, 'policy')) {
      await this.redis.hset(this.k(repositoryName).policy, 'lastEvaluatedAt', String(at));
    }
  }

  /** The repositories that have a policy. */
  async repositories(): Promise<string[]> {
    return (await this.redis.smembers(this.keys.lifecycleRepositories)).sort();
  }

  async forget(repositoryName: string): Promise<void> {
    const k = this.k(repositoryName);
    await this.redis.del(k.policy, k.preview);
    await this.redis.srem(this.keys.lifecycleRepositories, repositoryName);
  }

  /**
   * Runs `fn` while holding the repository's evaluation lock (renewed while it runs); answers
   * undefined without running it when another holder has the lock.
   */
  async withEvaluationLock<T>(repositoryName: string, ttlMs: number, fn: () => Promise<T>): Promise<T | undefined> {
    const lock = this.k(repositoryName).evaluationLock;
    const token = randomUUID();
    if ((await this.redis.set(lock, token, 'PX', ttlMs, 'NX')) !== 'OK') return undefined;
    const renew = setInterval(
      () => void runScript(this.redis, renewLockScript, [lock], [token, ttlMs]).catch(() => undefined),
      Math.max(ttlMs / 3, 100),
    );
    try {
      return await fn();
    } finally {
      clearInterval(renew);
      await runScript(this.redis, compareAndDelete, [lock], [token]);
    }
  }

  /** Marks a preview IN_PROGRESS; false when one already is. */
  async beginPreview(repositoryName: string, lifecyclePolicyText: string): Promise<boolean> {
    const started: LifecyclePreview = { status: 'IN_PROGRESS', lifecyclePolicyText, results: [] };
    // Only the running marker decides (it expires): a preview whose API process died mid-way never blocks the next.
    const lock = this.k(repositoryName).previewRunning;
    if ((await this.redis.set(lock, '1', 'PX', PREVIEW_IN_PROGRESS_MS, 'NX')) !== 'OK') return false;
    await this.redis.set(this.k(repositoryName).preview, JSON.stringify(started));
    return true;
  }

  async finishPreview(repositoryName: string, preview: LifecyclePreview): Promise<void> {
    await this.redis.set(this.k(repositoryName).preview, JSON.stringify(preview));
    await this.redis.del(this.k(repositoryName).previewRunning);
  }

  async getPreview(repositoryName: string): Promise<LifecyclePreview | undefined> {
    const json = await this.redis.get(this.k(repositoryName).preview);
    return json ? (JSON.parse(json) as LifecyclePreview) : undefined;
  }
}

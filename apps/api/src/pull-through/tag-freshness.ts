import type { Cluster, Redis } from 'ioredis';

/**
 * When each pulled-through tag was last checked against its upstream: a key per tag that expires
 * after PULL_THROUGH_TAG_TTL_SECONDS. While it stands the cached tag is served as it is; once it
 * is gone the next pull asks the upstream where the tag points now.
 */
export class TagFreshness {
  constructor(
    private readonly redis: Redis | Cluster,
    /** The deployment's key prefix, without a cluster hash tag's braces. */
    private readonly prefix: string,
    private readonly ttlSeconds: number,
  ) {}

  private key(repositoryName: string, tag: string): string {
    return `${this.prefix}:{repo:${repositoryName}}:pull-through-checked:${tag}`;
  }

  async isFresh(repositoryName: string, tag: string): Promise<boolean> {
    if (this.ttlSeconds === 0) return false;
    return (await this.redis.exists(this.key(repositoryName, tag))) === 1;
  }

  async checked(repositoryName: string, tag: string): Promise<void> {
    if (this.ttlSeconds === 0) return;
    await this.redis.set(this.key(repositoryName, tag), String(Date.now()), 'EX', this.ttlSeconds);
  }
}

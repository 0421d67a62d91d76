import type { Cluster, Redis } from 'ioredis';
import type { Keys } from './keys.js';

/**
 * Content addressing in metadata: digest → where its blob is stored (a storage BlobLocation),
 * shared by every replica. The first location recorded for a digest wins; a finalization that
 * published the same digest elsewhere deletes its own copy. (On the filesystem, blobs are
 * content-addressed already, so every upload of a digest records the same location.)
 */
export class BlobIndex {
  constructor(
    private readonly redis: Redis | Cluster,
    private readonly keys: Keys,
  ) {}

  /** Records `location` for `digest` unless one is recorded; returns the location that stands. */
  async claim(digest: string, location: string): Promise<string> {
    const key = this.keys.blob(digest);
    const set = await this.redis.set(key, location, 'NX');
    if (set === 'OK') return location;
    return (await this.redis.get(key)) ?? (await this.claim(digest, location));
  }

  /** Where the blob of `digest` is stored, or undefined when no blob of it was published. */
  async locate(digest: string): Promise<string | undefined> {
    return (await this.redis.get(this.keys.blob(digest))) ?? undefined;
  }
}

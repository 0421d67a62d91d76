import type { Cluster, Redis } from 'ioredis';
import { parseManifest, referencedBlobs } from '@longshore/domain';
import type { Keys } from './keys.js';
import { scanKeys } from './scan-keys.js';

/** Upload states in which an upload may still publish or link a blob. */
const IN_FLIGHT = new Set(['queued', 'finalizing']);

/**
 * Everything that references a blob, read for the garbage collector: in-flight uploads (their
 * declared and verified digests), repository layer links, and the blobs manifests list.
 *
 * `all` reads them in that order on purpose: an upload stays in flight until after it linked
 * its layer, so a reference moving from "in flight" to "linked" during the read is seen in one
 * of the two (see collect-garbage.ts in the worker).
 */
export class BlobReferences {
  constructor(
    private readonly redis: Redis | Cluster,
    private readonly keys: Keys,
  ) {}

  async all(): Promise<Set<string>> {
    const live = new Set<string>();
    await this.addInFlight(live);
    const repositories = await this.redis.hkeys(this.keys.repositories);
    for (const name of repositories) {
      for (const digest of await this.redis.hkeys(this.keys.layers(name))) live.add(digest);
    }
    for (const name of repositories) await this.addManifestBlobs(name, live);
    return live;
  }

  private async addInFlight(live: Set<string>): Promise<void> {
    for await (const keys of scanKeys(this.redis, this.keys.uploadPattern)) {
      for (const key of keys) {
        const [status, declared, verified] = await this.redis.hmget(key, 'status', 'layerDigests', 'verifiedDigest');
        if (!status || !IN_FLIGHT.has(status)) continue;
        if (verified) live.add(verified);
        if (declared) for (const digest of JSON.parse(declared) as string[]) live.add(digest);
      }
    }
  }

  private async addManifestBlobs(repositoryName: string, live: Set<string>): Promise<void> {
    const images = this.keys.images(repositoryName);
    const [records, manifests] = await Promise.all([
      this.redis.hgetall(images.images),
      this.redis.hgetallBuffer(images.manifests),
    ]);
    for (const [digest, bytes] of Object.entries(manifests)) {
      const json = records[digest];
      const mediaType = json ? (JSON.parse(json) as { mediaType?: string }).mediaType : undefined;
      try {
        for (const blob of referencedBlobs(parseManifest(bytes, mediaType))) live.add(blob);
      } catch {
        // A manifest that no longer parses references nothing we can name; its links still count.
      }
    }
  }
}

import { randomUUID } from 'node:crypto';
import type { Cluster, Redis } from 'ioredis';
import { parseManifest, referencedBlobs } from '@longshore/domain';
import type { Keys } from './keys.js';
import { scanKeys } from './scan-keys.js';

/** Upload states in which an upload may still publish or link a blob. */
const IN_FLIGHT = new Set(['queued', 'finalizing']);

/** A pin older than this is a leftover of a process that died mid-push: dropped by the next read. */
const STALE_PIN_MS = 60 * 60_000;

/** What the garbage collector reads: the digests still referenced, and where each digest is linked. */
export interface BlobReferenceSnapshot {
  /** Digests something references: keep them. */
  live: Set<string>;
  /** Every repository layer link, digest → repository names: what to unlink once a blob is deleted. */
  linkedIn: Map<string, string[]>;
}

export interface ReferenceReadOptions {
  /** Epoch ms now. */
  now: number;
  /**
   * GC_LAYER_LINK_GRACE_SECONDS in ms: a layer link counts as a reference only while it is
   * younger than this (a layer uploaded for a PutImage yet to come). A link without a readable
   * time counts as young: a blob a client may still name is never freed on a guess.
   */
  layerLinkGraceMs: number;
}

/**
 * Everything that references a blob, read for the garbage collector, which marks from manifests
 * as distribution's does: pins (manifest pushes under way), in-flight uploads (their declared
 * and verified digests), standalone layer links younger than the grace period, and the blobs
 * manifests list.
 *
 * `read` reads them in that order on purpose: a push pins its blobs before it commits its
 * manifest and unpins them after, and an upload stays in flight until after it linked its
 * layer, so a reference moving from one to the next during the read is seen in one of the two
 * (see collect-garbage.ts in the worker).
 */
export class BlobReferences {
  constructor(
    private readonly redis: Redis | Cluster,
    private readonly keys: Keys,
  ) {}

  /**
   * Declares that a manifest naming `digests` is about to be committed; the caller unpins after
   * the commit (or its failure). Call it before retaining the blobs (BlobIndex.retain).
   */
  async pin(digests: string[], now: number = Date.now()): Promise<string> {
    const token = randomUUID();
    await this.redis.hset(this.keys.blobPins, token, JSON.stringify({ at: now, digests }));
    return token;
  }

  async unpin(token: string): Promise<void> {
    await this.redis.hdel(this.keys.blobPins, token);
  }

  async read(options: ReferenceReadOptions): Promise<BlobReferenceSnapshot> {
    const live = new Set<string>();
    const linkedIn = new Map<string, string[]>();
    await this.addPins(live, options.now);
    await this.addInFlight(live);
    const repositories = await this.redis.hkeys(this.keys.repositories);
    for (const name of repositories) {
      const links = await this.redis.hgetall(this.keys.layers(name));
      for (const [digest, json] of Object.entries(links)) {
        const where = linkedIn.get(digest);
        if (where) where.push(name);
        else linkedIn.set(digest, [name]);
        if (isYoung(json, options)) live.add(digest);
      }
    }
    for (const name of repositories) await this.addManifestBlobs(name, live);
    return { live, linkedIn };
  }

  private async addPins(live: Set<string>, now: number): Promise<void> {
    const pins = await this.redis.hgetall(this.keys.blobPins);
    for (const [token, json] of Object.entries(pins)) {
      let pin: { at?: unknown; digests?: unknown };
      try {
        pin = JSON.parse(json) as typeof pin;
      } catch {
        pin = {};
      }
      if (typeof pin.at === 'number' && now - pin.at > STALE_PIN_MS) {
        await this.redis.hdel(this.keys.blobPins, token);
        continue;
      }
      if (Array.isArray(pin.digests)) for (const digest of pin.digests) live.add(String(digest));
    }
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
        // A manifest that no longer parses names nothing we can read: keep every blob its
        // repository links, rather than free one it may name.
        for (const linked of await this.redis.hkeys(this.keys.layers(repositoryName))) live.add(linked);
      }
    }
  }
}

/** Whether a link (JSON { linkedAt }) is younger than the grace period, or has no readable time. */
function isYoung(json: string, { now, layerLinkGraceMs }: ReferenceReadOptions): boolean {
  let linkedAt: unknown;
  try {
    linkedAt = (JSON.parse(json) as { linkedAt?: unknown }).linkedAt;
  } catch {
    return true;
  }
  if (typeof linkedAt !== 'number' || !Number.isFinite(linkedAt)) return true;
  return now - linkedAt < layerLinkGraceMs;
}

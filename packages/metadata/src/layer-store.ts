/*
 * Layers: the blob index (which digest is stored where, and its garbage-collection marks), the
 * repositories' links to those blobs, and the one safe order that joins them (linkRetainedLayer).
 */
import type { Cluster, Redis } from 'ioredis';
import { RefusedError } from '@longshore/domain';
import type { Keys } from './keys.js';
import { runScript } from './keys.js';
import { linkLayer } from './scripts/link-layer.js';
import { scanKeys } from './scan-keys.js';
import { compareAndDelete } from './scripts/compare-and-delete.js';
import { markBlob } from './scripts/mark-blob.js';
import { retainBlob } from './scripts/retain-blob.js';
import { sweepBlob } from './scripts/sweep-blob.js';

export interface LayerLink {
  size: number;
  uploadId: string;
  linkedAt: number;
}

/** Which content-addressed blobs each repository contains. */
export class LayerStore {
  constructor(
    private readonly redis: Redis | Cluster,
    private readonly keys: Keys,
  ) {}

  async get(repositoryName: string, digest: string): Promise<LayerLink | undefined> {
    const json = await this.redis.hget(this.keys.layers(repositoryName), digest);
    return json ? (JSON.parse(json) as LayerLink) : undefined;
  }

  async getMany(repositoryName: string, digests: string[]): Promise<(LayerLink | undefined)[]> {
    if (digests.length === 0) return [];
    const found = await this.redis.hmget(this.keys.layers(repositoryName), ...digests);
    return found.map((json) => (json ? (JSON.parse(json) as LayerLink) : undefined));
  }

  /** Removes a layer from a repository (its blob stays); false when it was not there. */
  async unlink(repositoryName: string, digest: string): Promise<boolean> {
    return (await this.redis.hdel(this.keys.layers(repositoryName), digest)) === 1;
  }

  /**
   * Links a finalized layer; idempotent for the upload that linked it. The repository's record is
   * another slot's than its links: checked before the link and again after it (see link-layer.ts).
   * `checks` run alongside those two reads, in the same round trips: nothing is linked (false)
   * unless `checks.before` holds; once linked, the answer is `checks.after`'s (true without).
   */
  async link(
    repositoryName: string,
    registryId: string,
    digest: string,
    link: LayerLink,
    checks: LinkChecks = {},
  ): Promise<boolean> {
    const gone = () => new RefusedError('REPOSITORY_NOT_FOUND', { repositoryName, registryId });
    const [allowed, exists] = await Promise.all([checks.before ?? true, this.exists(repositoryName)]);
    if (!allowed) return false;
    if (!exists) throw gone();
    const layers = this.keys.layers(repositoryName);
    const outcome = await runScript<string>(
      this.redis,
      linkLayer,
      [layers],
      [digest, JSON.stringify(link), link.uploadId],
    );
    if (outcome === 'EXISTS') {
      throw new RefusedError('LAYER_EXISTS', { repositoryName, registryId, layerDigest: digest });
    }
    // A DeleteRepository ran meanwhile: nothing of the repository may stay behind.
    const [stillThere, kept] = await Promise.all([this.exists(repositoryName), checks.after?.() ?? true]);
    if (!stillThere) {
      await this.redis.del(layers);
      throw gone();
    }
    return kept;
  }

  private async exists(repositoryName: string): Promise<boolean> {
    return (await this.redis.hexists(this.keys.repositories, repositoryName)) === 1;
  }
}

/** What LayerStore.link checks alongside its own reads of the repository. */
export interface LinkChecks {
  /** Must resolve true before the link is made (given already started: it shares the first round trip). */
  before?: Promise<boolean>;
  /** Read once linked, alongside the second check of the repository. */
  after?: () => Promise<boolean>;
}

export interface LayerReferenceDeps {
  layers: Pick<LayerStore, 'link' | 'unlink'>;
  blobs: Pick<BlobIndex, 'retain'>;
}

/**
 * The one order in which a repository comes to name a blob (a finalized upload, a `/v2` mount,
 * a pull-through copy), safe against a concurrent garbage collection (see collect-garbage.ts in
 * the worker):
 *
 * 1. **retain** the blob: clears a collection's mark on the digest, so a collection that marked
 *    it before keeps it; refused while one is deleting it, and nothing is linked;
 * 2. **link** the layer into the repository (idempotent for the same `link.uploadId`);
 * 3. **retain again**: a collection that marked the digest between 1 and 2 and read the
 *    references before the link became visible has its mark cleared now, before it may sweep;
 *    if it already swept, the link is taken back.
 *
 * Each retain shares a round trip with the link's own check of the repository (LinkChecks), so
 * the three steps cost three round trips. `retainedNow`, when given, is step 1 already under way
 * (a finalization's claim of the digest's index entry, which retains it; it rejects with
 * BlobBeingCollectedError as a retain does).
 *
 * Returns true when the repository holds the layer and its blob is retained, false when the
 * blob is not indexed or is being collected (nothing stays linked). Throws what the link
 * throws (RefusedError LAYER_EXISTS for another upload's link, REPOSITORY_NOT_FOUND).
 */
export async function linkRetainedLayer(
  deps: LayerReferenceDeps,
  repositoryName: string,
  registryId: string,
  digest: string,
  link: LayerLink,
  retainedNow?: Promise<unknown>,
): Promise<boolean> {
  const first = retainedNow ? retainedNow.then(() => true, notCollecting) : retained(deps.blobs, digest);
  // Observed here too: a link that never reads it (a test's hold) must not leave it unhandled.
  first.catch(() => undefined);
  const after = () => retained(deps.blobs, digest);
  if (await deps.layers.link(repositoryName, registryId, digest, link, { before: first, after })) return true;
  if (!(await first)) return false;
  await deps.layers.unlink(repositoryName, digest);
  return false;
}

async function retained(blobs: LayerReferenceDeps['blobs'], digest: string): Promise<boolean> {
  return blobs.retain(digest).then((location) => location !== undefined, notCollecting);
}

function notCollecting(err: unknown): false {
  if (err instanceof BlobBeingCollectedError) return false;
  throw err;
}

/** An index entry whose blob the garbage collector is deleting holds this, then the location. */
export const COLLECTING_PREFIX = '!collecting:';

/**
 * The blob of a digest is being deleted by the garbage collector: transient, the caller retries
 * (a finalization then publishes its own copy).
 */
export class BlobBeingCollectedError extends Error {
  constructor(digest: string) {
    super(`the blob of ${digest} is being garbage-collected; retry`);
    this.name = 'BlobBeingCollectedError';
  }
}

/**
 * Content addressing in metadata: digest → where its blob is stored (a storage BlobLocation),
 * shared by every replica. The first location recorded for a digest wins; a finalization that
 * published the same digest elsewhere deletes its own copy. (On the filesystem, blobs are
 * content-addressed already, so every upload of a digest records the same location.)
 *
 * Whoever is about to reference a blob calls `retain` or `claim` first: that clears the garbage
 * collector's mark on the digest (so a collection that marked it keeps it) and refuses while
 * the collector is deleting it (see collect-garbage.ts in the worker for the whole protocol).
 */
export class BlobIndex {
  constructor(
    private readonly redis: Redis | Cluster,
    private readonly keys: Keys,
  ) {}

  /**
   * Records `location` for `digest` unless one is recorded, and retains it; returns the location
   * that stands. When this call recorded it, the blob's `size` is added to the stored bytes
   * (storedBytes). BlobBeingCollectedError while the collector deletes the digest's blob.
   *
   * The count is sent right behind the claim on the same connection, and not waited for: the
   * caller's next commands share its round trip (a gauge, not an inventory: see storedBytes;
   * a count that fails leaves it off by that much, as a crash between the two does).
   */
  async claim(digest: string, location: string, size?: number): Promise<string> {
    const [outcome, found] = await this.retainOrClaimOutcome(digest, location);
    if (outcome === 'CLAIMED' && size !== undefined && size > 0) {
      this.redis.incrby(this.keys.storedBlobBytes, size).catch(() => undefined);
    }
    return found!;
  }

  /**
   * Bytes of the blobs indexed: kept by `claim` (a digest's first location) and `forget` (GC
   * deleted it). A crash between an index write and its count, or blobs indexed before this
   * count existed, leave it off by that much; it is a gauge for dashboards, not an inventory.
   */
  async storedBytes(): Promise<number> {
    return Number((await this.redis.get(this.keys.storedBlobBytes)) ?? 0);
  }

  /**
   * Where the blob of `digest` is, retained for a reference about to be made, or undefined when
   * none is indexed. BlobBeingCollectedError while the collector deletes it.
   */
  async retain(digest: string): Promise<string | undefined> {
    return this.retainOrClaim(digest, '');
  }

  /** Where the blob of `digest` is stored, or undefined when none is published (or it is being deleted). */
  async locate(digest: string): Promise<string | undefined> {
    const current = await this.redis.get(this.keys.blob(digest));
    return current && !current.startsWith(COLLECTING_PREFIX) ? current : undefined;
  }

  // --- for the garbage collector ---------------------------------------------------------------

  /** Every indexed digest (and digests being collected), in batches. */
  async *digests(): AsyncIterable<string[]> {
    for await (const keys of scanKeys(this.redis, this.keys.blobPattern)) {
      yield keys.map((key) => this.keys.digestOf(key));
    }
  }

  /** Marks `digest` as a candidate (unless marked); the mark that stands, or undefined if not indexed. */
  async mark(digest: string, mark: string): Promise<string | undefined> {
    return (
      (await runScript<string | null>(this.redis, markBlob, this.pair(digest), [COLLECTING_PREFIX, mark])) ?? undefined
    );
  }

  /** Drops the collector's mark `mark` (a digest found referenced). */
  async unmark(digest: string, mark: string): Promise<void> {
    await runScript(this.redis, compareAndDelete, [this.keys.blobMark(digest)], [mark]);
  }

  /**
   * When `digest` still carries `mark`, makes its entry a tombstone and returns the location to
   * delete; undefined when it was retained since (keep it).
   */
  async sweep(digest: string, mark: string): Promise<string | undefined> {
    return (
      (await runScript<string | null>(this.redis, sweepBlob, this.pair(digest), [COLLECTING_PREFIX, mark])) ?? undefined
    );
  }

  /** The location being deleted, when `digest`'s entry is a tombstone (a collection stopped midway). */
  async collecting(digest: string): Promise<string | undefined> {
    const current = await this.redis.get(this.keys.blob(digest));
    return current?.startsWith(COLLECTING_PREFIX) ? current.slice(COLLECTING_PREFIX.length) : undefined;
  }

  /** Removes the tombstone once the blob at `location` (of `size` bytes) is deleted. */
  async forget(digest: string, location: string, size = 0): Promise<void> {
    const removed = await runScript<number>(
      this.redis,
      compareAndDelete,
      [this.keys.blob(digest)],
      [COLLECTING_PREFIX + location],
    );
    if (removed === 1 && size > 0) await this.redis.decrby(this.keys.storedBlobBytes, size);
  }

  private pair(digest: string): string[] {
    return [this.keys.blob(digest), this.keys.blobMark(digest)];
  }

  private async retainOrClaim(digest: string, location: string): Promise<string | undefined> {
    const [outcome, found] = await this.retainOrClaimOutcome(digest, location);
    return outcome === 'ABSENT' ? undefined : found;
  }

  private async retainOrClaimOutcome(digest: string, location: string): Promise<[string, string?]> {
    const answer = await runScript<[string, string?]>(this.redis, retainBlob, this.pair(digest), [
      COLLECTING_PREFIX,
      location,
    ]);
    if (answer[0] === 'COLLECTING') throw new BlobBeingCollectedError(digest);
    return answer;
  }
}

import type { Cluster, Redis } from 'ioredis';
import type { Keys } from './keys.js';
import { runScript } from './run-script.js';
import { scanKeys } from './scan-keys.js';
import { compareAndDelete } from './scripts/compare-and-delete.js';
import { markBlob } from './scripts/mark-blob.js';
import { retainBlob } from './scripts/retain-blob.js';
import { sweepBlob } from './scripts/sweep-blob.js';

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
   */
  async claim(digest: string, location: string, size?: number): Promise<string> {
    const [outcome, found] = await this.retainOrClaimOutcome(digest, location);
    if (outcome === 'CLAIMED' && size !== undefined && size > 0) {
      await this.redis.incrby(this.keys.storedBlobBytes, size);
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

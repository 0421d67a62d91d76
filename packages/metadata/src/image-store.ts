import type { Cluster, Redis } from 'ioredis';
import type { StorageMirror } from './durable/storage-mirror.js';
import type { Keys } from './keys.js';
import { noImageChanges, type ImageChanges } from './image-changes.js';
import { imageKeyList, type ImageKeys } from './keys.js';
import type { ImageRecord } from './image-record.js';
import {
  readImagePage,
  readListingEntries,
  readPushOrderChunk,
  splitTags,
  type ListingEntry,
  type PushedImage,
  type TagStatusFilter,
} from './listing-reads.js';
import { runScript } from './keys.js';
import { deleteImage } from './scripts/delete-image.js';
import { deleteImages } from './scripts/delete-images.js';
import { deleteTag } from './scripts/delete-tag.js';
import { putImage } from './scripts/put-image.js';
import { recordPull } from './scripts/record-pull.js';
import { untagImage } from './scripts/untag-image.js';

export interface PutImageCommand {
  record: ImageRecord;
  bytes: Buffer;
  tag?: string;
  /** Refuse a push that changes nothing (ECR PutImage's ImageAlreadyExistsException). */
  rejectUnchanged: boolean;
  /** The tag may not be moved to another image. */
  tagImmutable: boolean;
}

export type PutImageOutcome =
  | { kind: 'put'; created: boolean; previousDigest?: string }
  | { kind: 'missing-children'; digests: string[] }
  | { kind: 'exists' }
  | { kind: 'tag-immutable'; currentDigest: string };

export type DeleteImageOutcome = { kind: 'deleted'; tags: string[] } | { kind: 'not-found' } | { kind: 'referenced' };

/** What removing a tag ECR's way did: the image goes with its last tag, unless an index lists it. */
export type DeleteTagOutcome =
  | { kind: 'untagged'; digest: string }
  | { kind: 'deleted'; digest: string }
  | { kind: 'referenced'; digest: string }
  | { kind: 'not-found' };

export type UntagOutcome =
  | { kind: 'untagged'; digest: string }
  | { kind: 'not-found' }
  | { kind: 'mismatch'; digest: string };

/** Images deleteMany removes with one script call: short enough to leave Redis to pushes between calls. */
export const DELETE_BATCH = 500;

function deleteOutcome(outcome: string | undefined, tags: string | undefined): DeleteImageOutcome {
  if (outcome === 'DELETED') return { kind: 'deleted', tags: splitTags(tags) };
  if (outcome === 'REFERENCED') return { kind: 'referenced' };
  if (outcome === 'NOT_FOUND') return { kind: 'not-found' };
  throw new Error(`deleteImages answered '${String(outcome)}'`);
}

/** An image with its tags, as listings need it. */
export interface TaggedImage {
  record: ImageRecord;
  tags: string[];
}

/**
 * The manifests and tags of every repository: one store behind the ECR and OCI doors. With a
 * `mirror`, every change is also written to the storage before the method returns (the storage
 * is the truth, Redis the index: see durable/storage-mirror.ts).
 */
export class ImageStore {
  constructor(
    private readonly redis: Redis | Cluster,
    private readonly keys: Keys,
    private readonly mirror?: StorageMirror,
    private readonly changes: ImageChanges = noImageChanges,
  ) {}

  private k(repositoryName: string): ImageKeys {
    return this.keys.images(repositoryName);
  }

  async put(repositoryName: string, command: PutImageCommand): Promise<PutImageOutcome> {
    const { record } = command;
    const reply = await runScript<string[]>(this.redis, putImage, imageKeyList(this.k(repositoryName)), [
      record.digest,
      JSON.stringify(record),
      command.bytes,
      command.tag ?? '',
      command.rejectUnchanged ? '1' : '0',
      command.tagImmutable ? '1' : '0',
      record.subject ?? '',
      ...(record.children ?? []),
    ]);
    const [outcome, ...rest] = reply;
    // Every outcome but missing children leaves the image (and the tag) in Redis: sync them,
    // which also repairs the storage after a crash that came between Redis and the storage.
    if (outcome !== 'MISSING_CHILDREN' && this.mirror) {
      await this.mirror.syncImage(repositoryName, record.digest);
      if (command.tag) await this.mirror.syncTag(repositoryName, command.tag);
    }
    switch (outcome) {
      case 'PUT': {
        const created = rest[0] === '1';
        const tag = command.tag ?? '';
        // An unchanged /v2 re-push (same digest, same tag or none) changes nothing: no event.
        if (created || (tag !== '' && rest[1] !== record.digest)) {
          await this.changes.pushed(repositoryName, record.digest, tag);
        }
        return { kind: 'put', created, ...(rest[1] ? { previousDigest: rest[1] } : {}) };
      }
      case 'MISSING_CHILDREN':
        return { kind: 'missing-children', digests: rest };
      case 'EXISTS':
        return { kind: 'exists' };
      case 'TAG_IMMUTABLE':
        return { kind: 'tag-immutable', currentDigest: rest[0]! };
      default:
        throw new Error(`putImage answered '${String(outcome)}'`);
    }
  }

  async getRecord(repositoryName: string, digest: string): Promise<ImageRecord | undefined> {
    const json = await this.redis.hget(this.k(repositoryName).images, digest);
    return json ? (JSON.parse(json) as ImageRecord) : undefined;
  }

  async getRecords(repositoryName: string, digests: string[]): Promise<(ImageRecord | undefined)[]> {
    if (digests.length === 0) return [];
    const found = await this.redis.hmget(this.k(repositoryName).images, ...digests);
    return found.map((json) => (json ? (JSON.parse(json) as ImageRecord) : undefined));
  }

  /** The record and exact bytes of a manifest, read together. */
  async getManifest(
    repositoryName: string,
    digest: string,
  ): Promise<{ record: ImageRecord; bytes: Buffer } | undefined> {
    const k = this.k(repositoryName);
    const [json, bytes] = await Promise.all([
      this.redis.hget(k.images, digest),
      this.redis.hgetBuffer(k.manifests, digest),
    ]);
    if (!json || !bytes) return undefined;
    return { record: JSON.parse(json) as ImageRecord, bytes };
  }

  async resolveTag(repositoryName: string, tag: string): Promise<string | undefined> {
    return (await this.redis.hget(this.k(repositoryName).tags, tag)) ?? undefined;
  }

  async resolveTags(repositoryName: string, tags: string[]): Promise<(string | undefined)[]> {
    if (tags.length === 0) return [];
    return (await this.redis.hmget(this.k(repositoryName).tags, ...tags)).map((d) => d ?? undefined);
  }

  /** Each image's tags, sorted. */
  async tagsOf(repositoryName: string, digests: string[]): Promise<string[][]> {
    if (digests.length === 0) return [];
    const found = await this.redis.hmget(this.k(repositoryName).imageTags, ...digests);
    return found.map(splitTags);
  }

  /**
   * One page of ListImages entries (one per tag of a tagged image, one per untagged image) in
   * "<digest> <tag>" order, after the entry key `after`: read from the ordered listing ZSETs.
   */
  async listingPage(
    repositoryName: string,
    filter: TagStatusFilter,
    limit: number,
    after?: string,
  ): Promise<{ entries: ListingEntry[]; more: boolean }> {
    return readListingEntries(this.redis, this.k(repositoryName), filter, limit, after);
  }

  /** One page of images with their tags in digest order, after the digest `after`. */
  async imagePage(
    repositoryName: string,
    filter: TagStatusFilter,
    limit: number,
    after?: string,
  ): Promise<{ images: TaggedImage[]; more: boolean; last?: string }> {
    return readImagePage(this.redis, this.k(repositoryName), filter, limit, after);
  }

  /** Up to `limit` images newest push first, after a previous chunk's `cursor`. */
  async pushOrderChunk(
    repositoryName: string,
    limit: number,
    cursor?: string,
  ): Promise<{ images: PushedImage[]; cursor?: string }> {
    return readPushOrderChunk(this.redis, this.k(repositoryName), limit, cursor);
  }

  async count(repositoryName: string): Promise<number> {
    return this.redis.hlen(this.k(repositoryName).images);
  }

  /** Up to `limit` tags in lexical order, after `last` when given; `more` when others follow. */
  async listTags(repositoryName: string, limit: number, last?: string): Promise<{ tags: string[]; more: boolean }> {
    const start = last === undefined ? '-' : `(${last}`;
    const found = await this.redis.zrangebylex(this.k(repositoryName).tagNames, start, '+', 'LIMIT', 0, limit + 1);
    return { tags: found.slice(0, limit), more: found.length > limit };
  }

  /** The images whose `subject` is the given digest, ordered by digest. */
  async referrers(repositoryName: string, subject: string): Promise<ImageRecord[]> {
    const k = this.k(repositoryName);
    const members = await this.redis.zrangebylex(k.referrers, `[${subject} `, `[${subject} \xff`);
    const records = await this.getRecords(
      repositoryName,
      members.map((m) => m.slice(subject.length + 1)),
    );
    return records.filter((r): r is ImageRecord => r !== undefined);
  }

  async delete(repositoryName: string, digest: string, refuseReferenced: boolean): Promise<DeleteImageOutcome> {
    const [outcome, tags] = await runScript<[string, string?]>(
      this.redis,
      deleteImage,
      imageKeyList(this.k(repositoryName)),
      [digest, refuseReferenced ? '1' : '0'],
    );
    if (this.mirror && outcome !== 'REFERENCED') {
      await this.mirror.syncImage(repositoryName, digest);
      for (const tag of splitTags(tags)) await this.mirror.syncTag(repositoryName, tag);
    }
    if (outcome === 'DELETED') {
      await this.forgetPull(repositoryName, digest);
      const deletedTags = splitTags(tags);
      await this.changes.deleted(repositoryName, digest, deletedTags);
      return { kind: 'deleted', tags: deletedTags };
    }
    if (outcome === 'REFERENCED') return { kind: 'referenced' };
    return { kind: 'not-found' };
  }

  /**
   * Deletes many images of one repository, each exactly as `delete` deletes it (record, bytes,
   * tags, listing entries, index-child counts, referrers entry, recorded pull; the storage
   * records; a DELETE event per tag), a batch of at most DELETE_BATCH images at a time: one
   * script call, the storage records synced in bounded concurrency, the events in one
   * `deletedImages` call. Answers each digest's outcome, in the order of `digests`.
   */
  async deleteMany(
    repositoryName: string,
    digests: readonly string[],
    refuseReferenced: boolean,
    batchSize = DELETE_BATCH,
  ): Promise<DeleteImageOutcome[]> {
    const k = this.k(repositoryName);
    const outcomes: DeleteImageOutcome[] = [];
    for (let start = 0; start < digests.length; start += batchSize) {
      const batch = digests.slice(start, start + batchSize);
      const reply = await runScript<string[]>(
        this.redis,
        deleteImages,
        [...imageKeyList(k), k.pulls],
        [refuseReferenced ? '1' : '0', ...batch],
      );
      const batchOutcomes = batch.map((_, i) => deleteOutcome(reply[2 * i], reply[2 * i + 1]));
      const deleted = batch.flatMap((digest, i) => {
        const outcome = batchOutcomes[i]!;
        return outcome.kind === 'deleted' ? [{ digest, tags: outcome.tags }] : [];
      });
      if (this.mirror) {
        await this.mirror.syncImages(
          repositoryName,
          batch.filter((_, i) => batchOutcomes[i]!.kind !== 'referenced'),
        );
        await this.mirror.syncTags(
          repositoryName,
          deleted.flatMap((image) => image.tags),
        );
      }
      if (deleted.length > 0) await this.changes.deletedImages(repositoryName, deleted);
      outcomes.push(...batchOutcomes);
    }
    return outcomes;
  }

  /**
   * Removes a tag, and its image with it when it was the image's last tag (ECR BatchDeleteImage);
   * an image an index of the repository lists keeps its last tag ('referenced').
   */
  async deleteTag(repositoryName: string, tag: string): Promise<DeleteTagOutcome> {
    const [outcome, digest] = await runScript<[string, string?]>(
      this.redis,
      deleteTag,
      imageKeyList(this.k(repositoryName)),
      [tag],
    );
    if (this.mirror) {
      await this.mirror.syncTag(repositoryName, tag);
      if (digest) await this.mirror.syncImage(repositoryName, digest);
    }
    if (outcome === 'UNTAGGED') return { kind: 'untagged', digest: digest! };
    if (outcome === 'DELETED') {
      await this.forgetPull(repositoryName, digest!);
      return { kind: 'deleted', digest: digest! };
    }
    if (outcome === 'REFERENCED') return { kind: 'referenced', digest: digest! };
    return { kind: 'not-found' };
  }

  /** Drops every image key of a repository that no longer exists (one slot, one command). */
  async dropRepository(repositoryName: string): Promise<void> {
    const k = this.k(repositoryName);
    await this.redis.del(...imageKeyList(k), k.pulls);
    await this.mirror?.syncRepository(repositoryName);
  }

  /** Removes a tag; with `expectedDigest`, only if it names that image. */
  async untag(repositoryName: string, tag: string, expectedDigest?: string): Promise<UntagOutcome> {
    const [outcome, digest] = await runScript<[string, string?]>(
      this.redis,
      untagImage,
      imageKeyList(this.k(repositoryName)),
      [tag, expectedDigest ?? ''],
    );
    await this.mirror?.syncTag(repositoryName, tag);
    if (outcome === 'UNTAGGED') {
      await this.changes.deleted(repositoryName, digest!, [tag]);
      return { kind: 'untagged', digest: digest! };
    }
    if (outcome === 'MISMATCH') return { kind: 'mismatch', digest: digest! };
    return { kind: 'not-found' };
  }

  // ---- recorded pulls (DescribeImages lastRecordedPullTime, lifecycle sinceImagePulled) --------

  /**
   * Records a manifest pull of `digest` at `now` (epoch ms), unless one was recorded less than
   * `intervalMs` before; true when this call wrote it.
   */
  async recordPull(repositoryName: string, digest: string, now: number, intervalMs: number): Promise<boolean> {
    const written = await runScript<number>(
      this.redis,
      recordPull,
      [this.k(repositoryName).pulls],
      [digest, now, intervalMs],
    );
    return written === 1;
  }

  /** The last recorded pull (epoch ms) of each image, in the order of `digests`; undefined: never pulled. */
  async pullTimes(repositoryName: string, digests: string[]): Promise<(number | undefined)[]> {
    if (digests.length === 0) return [];
    const found = await this.redis.hmget(this.k(repositoryName).pulls, ...digests);
    return found.map((v) => (v ? Number(v) : undefined));
  }

  /** A deleted image's pull time goes with it (a re-push of the digest starts unpulled). */
  private async forgetPull(repositoryName: string, digest: string): Promise<void> {
    await this.redis.hdel(this.k(repositoryName).pulls, digest);
  }
}

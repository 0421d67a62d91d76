import type { Cluster, Redis } from 'ioredis';
import { parsePushOrderMember, type ImageKeys } from './keys.js';
import type { ImageRecord } from './image-record.js';

/** Which images a listing answers (ECR's `filter.tagStatus`). */
export type TagStatusFilter = 'ANY' | 'TAGGED' | 'UNTAGGED';

/** One ListImages entry: a tag of a tagged image, or an untagged image (no tag). */
export interface ListingEntry {
  digest: string;
  tag?: string;
  /** Its place in ListImages' order: "<digest> <tag>", or "<digest> " untagged. */
  key: string;
}

/** An image in push order, as lifecycle evaluation reads it. */
export interface PushedImage {
  digest: string;
  pushedAt: number;
  tags: string[];
}

type Client = Redis | Cluster;

/** Up to `limit` members of a lexically ordered ZSET after `after` (exclusive), or from the start. */
function membersAfter(redis: Client, key: string, after: string | undefined, limit: number): Promise<string[]> {
  return redis.zrangebylex(key, after === undefined ? '-' : `(${after}`, '+', 'LIMIT', 0, limit);
}

/** The first `limit` of items read from two ZSETs, in key order; `more` when others remain. */
function firstInOrder<T>(items: T[], keyOf: (item: T) => string, limit: number): { items: T[]; more: boolean } {
  const merged = [...items].sort((x, y) => (keyOf(x) < keyOf(y) ? -1 : keyOf(x) > keyOf(y) ? 1 : 0));
  return { items: merged.slice(0, limit), more: merged.length > limit };
}

function digestOfKey(key: string): string {
  const space = key.indexOf(' ');
  return space < 0 ? key : key.slice(0, space);
}

/**
 * ListImages' entries after the entry key `after`, in key order: the tagged entries and the
 * untagged digests are two ZSETs, each read from the cursor for one page and merged.
 */
export async function readListingEntries(
  redis: Client,
  k: ImageKeys,
  filter: TagStatusFilter,
  limit: number,
  after?: string,
): Promise<{ entries: ListingEntry[]; more: boolean }> {
  const [tagged, untagged] = await Promise.all([
    filter === 'UNTAGGED' ? [] : membersAfter(redis, k.tagEntries, after, limit + 1),
    filter === 'TAGGED'
      ? []
      : membersAfter(redis, k.untaggedDigests, after === undefined ? undefined : digestOfKey(after), limit + 1),
  ]);
  const entries: ListingEntry[] = [
    ...tagged.map((key) => {
      const digest = digestOfKey(key);
      return { digest, tag: key.slice(digest.length + 1), key };
    }),
    // "<d> " sorts before every "<d> <tag>": an untagged digest equal to the cursor's is behind it.
    ...untagged.map((digest) => ({ digest, key: `${digest} ` })).filter((e) => after === undefined || e.key > after),
  ];
  const { items, more } = firstInOrder(entries, (e) => e.key, limit);
  return { entries: items, more };
}

/**
 * DescribeImages' images after the digest `after`, in digest order, with their records and tags:
 * only this page's records are read. `last` is the page's last digest (the next page's `after`).
 */
export async function readImagePage(
  redis: Client,
  k: ImageKeys,
  filter: TagStatusFilter,
  limit: number,
  after?: string,
): Promise<{ images: { record: ImageRecord; tags: string[] }[]; more: boolean; last?: string }> {
  const [tagged, untagged] = await Promise.all([
    filter === 'UNTAGGED' ? [] : membersAfter(redis, k.taggedDigests, after, limit + 1),
    filter === 'TAGGED' ? [] : membersAfter(redis, k.untaggedDigests, after, limit + 1),
  ]);
  const { items: digests, more } = firstInOrder([...tagged, ...untagged], (d) => d, limit);
  if (digests.length === 0) return { images: [], more };
  const [records, tags] = await Promise.all([redis.hmget(k.images, ...digests), redis.hmget(k.imageTags, ...digests)]);
  const images = digests.flatMap((_, i) => {
    const json = records[i];
    // An image deleted between the two reads is left out of the page.
    return json ? [{ record: JSON.parse(json) as ImageRecord, tags: splitTags(tags[i]) }] : [];
  });
  // The page resumes after the last digest read, even when that image went meanwhile.
  return { images, more, last: digests[digests.length - 1]! };
}

/**
 * Up to `limit` images in push order (newest first, ties by digest) after the push-order
 * member `after`; `cursor` resumes after the last one (absent at the end). Images deleted
 * behind the cursor never shift what comes next.
 */
export async function readPushOrderChunk(
  redis: Client,
  k: ImageKeys,
  limit: number,
  after?: string,
): Promise<{ images: PushedImage[]; cursor?: string }> {
  const members = await membersAfter(redis, k.pushOrder, after, limit);
  if (members.length === 0) return { images: [] };
  const parsed = members.map(parsePushOrderMember);
  const tags = await redis.hmget(k.imageTags, ...parsed.map((p) => p.digest));
  const images = parsed.map((p, i) => ({ ...p, tags: splitTags(tags[i]) }));
  return { images, ...(members.length === limit ? { cursor: members[members.length - 1]! } : {}) };
}

/** An image's tags from the image-tags hash's space-separated value, sorted. */
export function splitTags(joined: string | null | undefined): string[] {
  return joined
    ? joined
        .split(' ')
        .filter((t) => t.length > 0)
        .sort()
    : [];
}

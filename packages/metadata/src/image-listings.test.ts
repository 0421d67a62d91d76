import { createHash, randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { IMAGE_INDEXES, type RepositoryContent } from './durable/derive-image-indexes.js';
import type { StoredImage } from './durable/storage-records.js';
import { pushOrderMember } from './keys.js';
import type { ImageRecord } from './image-record.js';
import { ImageStore } from './image-store.js';
import { createKeys } from './keys.js';

const digestOf = (seed: string) => `sha256:${createHash('sha256').update(seed).digest('hex')}`;

function record(digest: string, pushedAt: number): ImageRecord {
  return {
    digest,
    mediaType: 'application/vnd.oci.image.manifest.v1+json',
    manifestSize: 2,
    imageSizeInBytes: 2,
    pushedAt,
  };
}

/** The ordered listing structures kept by the image scripts, on a real Redis. */
describe('image listing index on a real Redis', () => {
  const prefix = `unit${randomBytes(4).toString('hex')}`;
  const keys = createKeys(prefix);
  let redis: Redis;
  let store: ImageStore;
  let seq = 0;
  const repo = () => `listings-${seq++}`;

  beforeAll(() => {
    redis = new Redis(inject('redisUrl'), { lazyConnect: false });
    store = new ImageStore(redis, keys);
  });
  afterAll(async () => {
    await redis.quit();
  });

  const put = (repositoryName: string, digest: string, pushedAt: number, tag?: string) =>
    store.put(repositoryName, {
      record: record(digest, pushedAt),
      bytes: Buffer.from('{}'),
      ...(tag ? { tag } : {}),
      rejectUnchanged: false,
      tagImmutable: false,
    });

  /** Each listing ZSET as Redis holds it, next to what the rebuild derives from the images and tags hashes. */
  async function heldAndDerived(repositoryName: string) {
    const k = keys.images(repositoryName);
    const [records, tags] = await Promise.all([redis.hgetall(k.images), redis.hgetall(k.tags)]);
    const content: RepositoryContent = {
      images: Object.values(records).map(
        (json) => ({ record: JSON.parse(json) as ImageRecord, manifest: Buffer.alloc(0), blobs: {} }) as StoredImage,
      ),
      tags: new Map(Object.entries(tags)),
    };
    const listingKeys = new Set([k.tagEntries, k.taggedDigests, k.untaggedDigests, k.pushOrder]);
    const derived = IMAGE_INDEXES.map((derive) => derive(k, content)).filter((d) => listingKeys.has(d.key));
    expect(derived).toHaveLength(4);
    const held: Record<string, string[]> = {};
    const expected: Record<string, string[]> = {};
    for (const d of derived) {
      if (d.type !== 'zset') throw new Error(`${d.key} is not a zset`);
      held[d.key] = await redis.zrange(d.key, 0, -1);
      expected[d.key] = [...d.members].sort();
    }
    return { held, expected };
  }

  it('every put, tag move, untag, tag delete and image delete keeps the listing ZSETs equal to what the rebuild derives', async () => {
    const name = repo();
    const digests = Array.from({ length: 12 }, (_, i) => digestOf(`${name}-${i}`));
    const tags = ['a', 'b', 'c', 'd', 'e', 'f'];
    let state = 7;
    const next = (n: number) => {
      state = (state * 1103515245 + 12345) % 2 ** 31;
      return state % n;
    };
    const ops: string[] = [];
    for (let step = 0; step < 200; step += 1) {
      const digest = digests[next(digests.length)]!;
      const tag = tags[next(tags.length)]!;
      switch (next(6)) {
        case 0:
          await put(name, digest, 1_700_000_000_000 + next(5) * 1000);
          ops.push(`put ${digest.slice(7, 11)}`);
          break;
        case 1:
        case 2:
          await put(name, digest, 1_700_000_000_000 + next(5) * 1000, tag);
          ops.push(`put ${digest.slice(7, 11)}:${tag}`);
          break;
        case 3:
          await store.untag(name, tag);
          ops.push(`untag ${tag}`);
          break;
        case 4:
          await store.deleteTag(name, tag);
          ops.push(`deleteTag ${tag}`);
          break;
        default:
          await store.delete(name, digest, false);
          ops.push(`delete ${digest.slice(7, 11)}`);
      }
      const { held, expected } = await heldAndDerived(name);
      expect(held, ops.join(', ')).toEqual(expected);
    }
    expect(ops.filter((o) => o.startsWith('put') && o.includes(':')).length).toBeGreaterThan(20);
    expect(await store.count(name)).toBeGreaterThan(0);
  });

  it('the scripts write the same push-order member as pushOrderMember, newest first and ties by digest', async () => {
    const name = repo();
    const [a, b, c] = [digestOf('a'), digestOf('b'), digestOf('c')].sort();
    await put(name, b!, 1_700_000_000_000);
    await put(name, c!, 1_700_000_000_000, 'v1');
    await put(name, a!, 1_600_000_000_000);
    const held = await redis.zrange(keys.images(name).pushOrder, 0, -1);
    expect(held).toEqual([
      pushOrderMember(b!, 1_700_000_000_000),
      pushOrderMember(c!, 1_700_000_000_000),
      pushOrderMember(a!, 1_600_000_000_000),
    ]);
    const chunk = await store.pushOrderChunk(name, 10);
    expect(chunk.images).toEqual([
      { digest: b, pushedAt: 1_700_000_000_000, tags: [] },
      { digest: c, pushedAt: 1_700_000_000_000, tags: ['v1'] },
      { digest: a, pushedAt: 1_600_000_000_000, tags: [] },
    ]);
    expect(chunk.cursor).toBeUndefined();
  });

  it('pages in push order resume after their cursor, whatever was deleted behind it', async () => {
    const name = repo();
    const digests = Array.from({ length: 25 }, (_, i) => digestOf(`${name}-${i}`));
    for (const [i, digest] of digests.entries()) await put(name, digest, 1_000_000 + i);
    const newestFirst = [...digests].reverse();
    const seen: string[] = [];
    let cursor: string | undefined;
    do {
      const chunk = await store.pushOrderChunk(name, 4, cursor);
      seen.push(...chunk.images.map((i) => i.digest));
      // Deleting what was just read (as an evaluation does) must not make the next chunk skip any.
      for (const image of chunk.images) await store.delete(name, image.digest, false);
      cursor = chunk.cursor;
    } while (cursor !== undefined);
    expect(seen).toEqual(newestFirst);
    expect(await store.count(name)).toBe(0);
    expect(await redis.exists(keys.images(name).pushOrder)).toBe(0);
  });

  it('listing and image pages walk every filter in key order, a page at a time', async () => {
    const name = repo();
    const all: { digest: string; tags: string[] }[] = [];
    for (let i = 0; i < 60; i += 1) {
      const digest = digestOf(`${name}-${i}`);
      const tags = i % 3 === 0 ? [] : i % 3 === 1 ? [`t${i}`] : [`t${i}`, `u${i}`];
      await put(name, digest, 1_000 + i);
      for (const tag of tags) await put(name, digest, 1_000 + i, tag);
      all.push({ digest, tags });
    }
    const entryKeys = (filter: 'ANY' | 'TAGGED' | 'UNTAGGED') =>
      all
        .filter((i) => filter === 'ANY' || (filter === 'TAGGED') === i.tags.length > 0)
        .flatMap((i) => (i.tags.length === 0 ? [`${i.digest} `] : i.tags.map((t) => `${i.digest} ${t}`)))
        .sort();
    const imageDigests = (filter: 'ANY' | 'TAGGED' | 'UNTAGGED') =>
      all
        .filter((i) => filter === 'ANY' || (filter === 'TAGGED') === i.tags.length > 0)
        .map((i) => i.digest)
        .sort();
    for (const filter of ['ANY', 'TAGGED', 'UNTAGGED'] as const) {
      const listed: string[] = [];
      let after: string | undefined;
      for (;;) {
        const page = await store.listingPage(name, filter, 7, after);
        expect(page.entries.length).toBeLessThanOrEqual(7);
        listed.push(...page.entries.map((e) => e.key));
        if (!page.more) break;
        after = page.entries[page.entries.length - 1]!.key;
      }
      expect(listed, filter).toEqual(entryKeys(filter));

      const described: string[] = [];
      let last: string | undefined;
      for (;;) {
        const page = await store.imagePage(name, filter, 7, last);
        for (const image of page.images) {
          expect(image.tags).toEqual(all.find((i) => i.digest === image.record.digest)!.tags);
        }
        described.push(...page.images.map((i) => i.record.digest));
        if (!page.more) break;
        last = page.last;
      }
      expect(described, filter).toEqual(imageDigests(filter));
    }
  });
});

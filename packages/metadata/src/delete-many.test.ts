import { createHash, randomBytes } from 'node:crypto';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { mediaTypes } from '@longshore/domain';
import { createFilesystemDriver } from '@longshore/storage';
import { createStores, type Stores } from './create-stores.js';
import type { ImageChanges } from './image-changes.js';
import type { DeleteImageOutcome } from './image-store.js';
import type { ImageRecord } from './image-record.js';
import { testLimits } from './limits.test-fixture.js';

const REPOSITORY = 'team/app';
const LIMITS = testLimits({ minPartSize: 1, maxParts: 10, maxLayerSize: 10240 });
const sha = (bytes: Buffer) => `sha256:${createHash('sha256').update(bytes).digest('hex')}`;

/** One registry: its own key prefix on the shared Redis and its own filesystem store, recording its image changes. */
interface Side {
  prefix: string;
  dir: string;
  stores: Stores;
  /** Every deletion the store reported, one line per image with its tags. */
  deletions: string[];
}

/**
 * ImageStore.deleteMany (lifecycle expiry's batched delete) against `delete` one image at a
 * time (BatchDeleteImage by digest), on a real Redis and a real filesystem store: the same
 * images deleted in the same order leave the same keys, the same storage records, the same
 * outcomes and the same change reports (one DELETE event per tag).
 */
describe('ImageStore.deleteMany equals one delete per image', () => {
  let redis: Redis;
  const sides: Side[] = [];

  async function side(): Promise<Side> {
    const prefix = `dm${randomBytes(4).toString('hex')}`;
    const dir = await mkdtemp(join(tmpdir(), 'longshore-delete-many-'));
    const deletions: string[] = [];
    const changes: ImageChanges = {
      pushed: async () => undefined,
      deleted: async (_, digest, tags) => void deletions.push(`${digest} [${tags.join(',')}]`),
      deletedImages: async (_, images) =>
        void deletions.push(...images.map(({ digest, tags }) => `${digest} [${tags.join(',')}]`)),
    };
    const stores = createStores(redis, prefix, LIMITS, createFilesystemDriver({ rootDir: dir }), {
      imageChanges: changes,
    });
    const made = { prefix, dir, stores, deletions };
    sides.push(made);
    return made;
  }

  beforeAll(() => {
    redis = new Redis(inject('redisUrl'));
  });
  afterAll(async () => {
    for (const { prefix, dir } of sides) {
      const keys = await redis.keys(`${prefix}:*`);
      if (keys.length > 0) await redis.del(...keys);
      await rm(dir, { recursive: true, force: true });
    }
    await redis.quit();
  });

  /** Every key of the side's prefix with its content, the prefix taken out so two sides compare. */
  async function redisState({ prefix }: Side): Promise<Record<string, unknown>> {
    const found: Record<string, unknown> = {};
    for (const key of (await redis.keys(`${prefix}:*`)).sort()) {
      const name = key.slice(prefix.length);
      const type = await redis.type(key);
      if (type === 'hash') found[name] = await redis.hgetall(key);
      else if (type === 'zset') found[name] = await redis.zrange(key, 0, -1, 'WITHSCORES');
      else if (type === 'string') found[name] = await redis.get(key);
      else found[name] = type;
    }
    return found;
  }

  /** Every file of the side's store with its content. */
  async function storageState({ dir }: Side): Promise<Record<string, string>> {
    const found: Record<string, string> = {};
    for (const entry of await readdir(dir, { recursive: true, withFileTypes: true })) {
      if (!entry.isFile()) continue;
      const path = join(entry.parentPath, entry.name);
      found[relative(dir, path)] = await readFile(path, 'utf8');
    }
    return found;
  }

  /** The same repository of images on a side; answers the digests by name. */
  async function seed({ stores }: Side): Promise<Record<string, string>> {
    await stores.repositories.create({
      repositoryName: REPOSITORY,
      registryId: '000000000000',
      createdAt: 1,
      imageTagMutability: 'MUTABLE',
      imageScanningConfiguration: { scanOnPush: false },
      encryptionConfiguration: { encryptionType: 'AES256' },
    });
    const put = async (name: string, tags: string[], extra: Partial<ImageRecord> = {}, body: object = {}) => {
      const bytes = Buffer.from(
        JSON.stringify({
          schemaVersion: 2,
          mediaType: mediaTypes.ociManifest,
          config: { mediaType: 'application/vnd.oci.image.config.v1+json', digest: sha(Buffer.from(name)), size: 4 },
          layers: [],
          ...body,
        }),
      );
      const record: ImageRecord = {
        digest: sha(bytes),
        mediaType: mediaTypes.ociManifest,
        manifestSize: bytes.length,
        imageSizeInBytes: 4,
        pushedAt: 1_000 + Object.keys(digests).length,
        ...extra,
      };
      for (const tag of tags.length > 0 ? tags : [undefined]) {
        const outcome = await stores.images.put(REPOSITORY, {
          record,
          bytes,
          ...(tag ? { tag } : {}),
          rejectUnchanged: false,
          tagImmutable: false,
        });
        expect(outcome.kind).toBe('put');
      }
      digests[name] = record.digest;
      return record.digest;
    };
    const digests: Record<string, string> = {};
    const tagged = await put('tagged', ['a1', 'a2']);
    await put('untagged', []);
    const child = await put('child', []);
    const index = Buffer.from(
      JSON.stringify({
        schemaVersion: 2,
        mediaType: mediaTypes.ociIndex,
        manifests: [{ mediaType: mediaTypes.ociManifest, digest: child, size: 1 }],
      }),
    );
    const indexRecord: ImageRecord = {
      digest: sha(index),
      mediaType: mediaTypes.ociIndex,
      manifestSize: index.length,
      imageSizeInBytes: 4,
      pushedAt: 2_000,
      children: [child],
    };
    const putIndex = await stores.images.put(REPOSITORY, {
      record: indexRecord,
      bytes: index,
      tag: 'idx',
      rejectUnchanged: false,
      tagImmutable: false,
    });
    expect(putIndex.kind).toBe('put');
    digests.index = indexRecord.digest;
    await put(
      'referrer',
      [],
      { subject: tagged, artifactType: 'application/vnd.example' },
      { subject: { mediaType: mediaTypes.ociManifest, digest: tagged, size: 1 } },
    );
    await put('pulled', ['d']);
    await put('pulledUntagged', []);
    await put('kept', ['k', 'k2']);
    await stores.images.recordPull(REPOSITORY, digests.pulled!, 5_000, 1);
    await stores.images.recordPull(REPOSITORY, digests.pulledUntagged!, 6_000, 1);
    await stores.images.recordPull(REPOSITORY, digests.kept!, 7_000, 1);
    return digests;
  }

  it('leaves the same keys, storage records, outcomes and events, across several script calls', async () => {
    const [single, batched] = [await side(), await side()];
    const names = await seed(single);
    expect(await seed(batched)).toEqual(names);
    // The child first: an index still lists it (refused); the index goes later in the same batch.
    const order = ['child', 'tagged', 'untagged', 'missing', 'referrer', 'pulled', 'pulledUntagged', 'index'];
    const digests = order.map((name) => names[name] ?? `sha256:${'0'.repeat(64)}`);

    const one: DeleteImageOutcome[] = [];
    for (const digest of digests) one.push(await single.stores.images.delete(REPOSITORY, digest, true));
    const many = await batched.stores.images.deleteMany(REPOSITORY, digests, true, 3);

    expect(many).toEqual(one);
    expect(many.map((o) => o.kind)).toEqual([
      'referenced',
      'deleted',
      'deleted',
      'not-found',
      'deleted',
      'deleted',
      'deleted',
      'deleted',
    ]);
    expect(batched.deletions).toEqual(single.deletions);
    expect(batched.deletions).toContain(`${names.tagged} [a1,a2]`);
    expect(await redisState(batched)).toEqual(await redisState(single));
    expect(await storageState(batched)).toEqual(await storageState(single));

    // What is left: the kept image with its tags and pull, and the child, now listed by no index.
    const images = batched.stores.images;
    expect((await images.imagePage(REPOSITORY, 'ANY', 10)).images.map((i) => [i.record.digest, i.tags])).toEqual(
      [
        [names.child, []],
        [names.kept, ['k', 'k2']],
      ].sort(),
    );
    expect(await images.pullTimes(REPOSITORY, [names.kept!, names.pulled!, names.pulledUntagged!])).toEqual([
      7_000,
      undefined,
      undefined,
    ]);
    expect(Object.keys(await storageState(batched)).filter((p) => p.includes('/images/'))).toHaveLength(2);
    expect((await images.deleteMany(REPOSITORY, [names.child!], true))[0]).toEqual({ kind: 'deleted', tags: [] });
  });

  it('syncs an image re-pushed between the script and the storage sync as Redis then holds it', async () => {
    const s = await side();
    const names = await seed(s);
    const records = s.stores.records!;
    const digest = names.untagged!;
    const stored = await records.getImage(REPOSITORY, digest);
    expect(stored).toBeDefined();
    // The store's mirror syncs after its script; a push coming back in between must win.
    const mirror = s.stores.mirror!;
    const syncImages = mirror.syncImages.bind(mirror);
    mirror.syncImages = async (repositoryName, digests) => {
      await s.stores.images.put(repositoryName, {
        record: stored!.record,
        bytes: stored!.manifest,
        rejectUnchanged: false,
        tagImmutable: false,
      });
      await syncImages(repositoryName, digests);
    };
    expect(await s.stores.images.deleteMany(REPOSITORY, [digest], true)).toEqual([{ kind: 'deleted', tags: [] }]);
    expect(await s.stores.images.getRecord(REPOSITORY, digest)).toEqual(stored!.record);
    expect((await records.getImage(REPOSITORY, digest))?.record).toEqual(stored!.record);
  });
});

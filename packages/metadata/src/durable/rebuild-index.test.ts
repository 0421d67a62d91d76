import { createHash, randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { mediaTypes } from '@longshore/domain';
import { createFilesystemDriver, type StorageDriver } from '@longshore/storage';
import { createStores, type Stores } from '../create-stores.js';
import type { ImageRecord } from '../image-record.js';
import { rebuildIndex, type RebuildProgress } from './rebuild-index.js';

const REGISTRY = '000000000000';
const LIMITS = {
  minPartSize: 1,
  maxPartSize: 1024,
  maxParts: 10,
  maxLayerSize: 10240,
  partLockMs: 60_000,
  uploadTtlSeconds: 600,
  statusRetentionSeconds: 600,
};
const sha = (bytes: Buffer) => `sha256:${createHash('sha256').update(bytes).digest('hex')}`;

/** Stores writing their records to a real filesystem store, on a real Redis; then the index is lost and rebuilt. */
describe('rebuildIndex from the records the stores write to the storage', () => {
  const prefix = `unit${randomBytes(4).toString('hex')}`;
  let redis: Redis;
  let storage: StorageDriver;
  let stores: Stores;
  let dir: string;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'longshore-rebuild-'));
    storage = createFilesystemDriver({ rootDir: dir });
    redis = new Redis(inject('redisUrl'));
    stores = createStores(redis, prefix, LIMITS, storage);
  });
  afterAll(async () => {
    await dropIndex();
    await redis.quit();
    await rm(dir, { recursive: true, force: true });
  });

  async function dropIndex(): Promise<void> {
    const keys = await redis.keys(`${prefix}:*`);
    if (keys.length > 0) await redis.del(...keys);
  }

  /** Every key of the prefix with its whole content, as comparable JSON. */
  async function snapshot(): Promise<Record<string, unknown>> {
    const found: Record<string, unknown> = {};
    for (const key of (await redis.keys(`${prefix}:*`)).sort()) {
      const type = await redis.type(key);
      if (type === 'hash') found[key] = await redis.hgetall(key);
      else if (type === 'zset') found[key] = await redis.zrange(key, 0, -1, 'WITHSCORES');
      else if (type === 'string') found[key] = await redis.get(key);
      else if (type === 'set') found[key] = (await redis.smembers(key)).sort();
      else found[key] = type;
    }
    return found;
  }

  /** A blob published in the storage and indexed, linked into the repository as a finished upload does. */
  async function blob(repositoryName: string): Promise<{ digest: string; size: number }> {
    const bytes = randomBytes(24);
    const digest = sha(bytes);
    const session = await storage.createUpload(crypto.randomUUID());
    const part = await storage.writePart(session, 1, bytes);
    const location = await storage.completeUpload(session, [part], digest);
    await stores.blobs.claim(digest, location);
    await stores.layers.link(repositoryName, REGISTRY, digest, { size: bytes.length, uploadId: 'u', linkedAt: 1 });
    return { digest, size: bytes.length };
  }

  async function pushImage(repositoryName: string, tag?: string, subject?: string): Promise<string> {
    const [config, layer] = [await blob(repositoryName), await blob(repositoryName)];
    const body = {
      schemaVersion: 2,
      mediaType: mediaTypes.ociManifest,
      config: { mediaType: 'application/vnd.oci.image.config.v1+json', ...config },
      layers: [{ mediaType: 'application/vnd.oci.image.layer.v1.tar', ...layer }],
      ...(subject ? { subject: { mediaType: mediaTypes.ociManifest, digest: subject, size: 1 } } : {}),
    };
    return put(repositoryName, Buffer.from(JSON.stringify(body)), tag, {
      configMediaType: 'application/vnd.oci.image.config.v1+json',
      ...(subject ? { subject, artifactType: 'application/vnd.oci.image.config.v1+json' } : {}),
    });
  }

  async function put(
    repositoryName: string,
    bytes: Buffer,
    tag: string | undefined,
    extra: Partial<ImageRecord>,
  ): Promise<string> {
    const record: ImageRecord = {
      digest: sha(bytes),
      mediaType: mediaTypes.ociManifest,
      manifestSize: bytes.length,
      imageSizeInBytes: 48,
      pushedAt: Date.now(),
      ...extra,
    };
    const outcome = await stores.images.put(repositoryName, {
      record,
      bytes,
      ...(tag ? { tag } : {}),
      rejectUnchanged: false,
      tagImmutable: false,
    });
    expect(outcome.kind).toBe('put');
    return record.digest;
  }

  async function createRepository(repositoryName: string): Promise<void> {
    await stores.repositories.create({
      repositoryName,
      registryId: REGISTRY,
      createdAt: Date.now(),
      imageTagMutability: 'MUTABLE',
      imageScanningConfiguration: { scanOnPush: false },
      encryptionConfiguration: { encryptionType: 'AES256' },
      tags: [{ Key: 'team', Value: 'a' }],
    });
  }

  it('derives every index back exactly as the pushes left it, nested repositories and all', async () => {
    // `a` and `a/b`: one repository nested in another's name; their records must stay apart.
    for (const name of ['rb/a', 'rb/a/b', 'rb/gone']) await createRepository(name);
    const first = await pushImage('rb/a', 'latest');
    const second = await pushImage('rb/a', 'v1');
    await pushImage('rb/a', 'latest'); // moves `latest` off `first`
    await pushImage('rb/a', '_under', first); // a referrer of `first`, under a tag starting with '_'
    await pushImage('rb/a', 'Latest'); // differs from `latest` only in case
    const index = Buffer.from(
      JSON.stringify({
        schemaVersion: 2,
        mediaType: mediaTypes.ociIndex,
        manifests: [first, second].map((digest) => ({ mediaType: mediaTypes.ociManifest, digest, size: 1 })),
      }),
    );
    await put('rb/a', index, 'multi', { mediaType: mediaTypes.ociIndex, children: [first, second] });
    await pushImage('rb/a/b', 'latest');
    const dropped = await pushImage('rb/a/b', 'old');
    expect((await stores.images.delete('rb/a/b', dropped, true)).kind).toBe('deleted');
    expect((await stores.images.untag('rb/a', 'v1')).kind).toBe('untagged');
    await pushImage('rb/gone', 'x');
    await stores.repositories.delete('rb/gone', REGISTRY, true);
    await stores.repositories.update({
      ...(await stores.repositories.require('rb/a', REGISTRY)),
      imageTagMutability: 'IMMUTABLE',
    });

    await stores.lifecycle.put('rb/a/b', '{"rules":[]}');
    await stores.lifecycle.put('rb/a', '{"rules":[]}');
    await stores.lifecycle.delete('rb/a'); // written, then deleted: gone from the storage too

    const before = await snapshot();
    await dropIndex();
    expect(await snapshot()).toEqual({});

    const progress: RebuildProgress[] = [];
    const summary = await rebuildIndex({
      redis,
      keys: stores.keys,
      records: stores.records!,
      storage,
      onProgress: (p) => progress.push(p),
    });
    expect(summary).toMatchObject({ repositories: 2, images: 7, tags: 5, missingBlobs: [], danglingTags: [] });
    expect(progress.at(-1)).toMatchObject({ total: 2, done: 2 });

    const after = await snapshot();
    // Layer links come back from the manifests: same blobs, same sizes, made by no upload.
    const links = (s: Record<string, unknown>) =>
      Object.fromEntries(
        Object.entries(s)
          .filter(([key]) => key.endsWith(':layers'))
          .map(([key, hash]) => [
            key,
            Object.fromEntries(
              Object.entries(hash as Record<string, string>).map(([d, json]) => [d, JSON.parse(json).size]),
            ),
          ]),
      );
    const isBlobEntry = (key: string) => key.includes('{blob:');
    const indexes = (s: Record<string, unknown>) =>
      Object.fromEntries(
        Object.entries(s).filter(
          ([key]) => !key.endsWith(':layers') && !isBlobEntry(key) && key !== stores.keys.storedBlobBytes,
        ),
      );
    expect(indexes(after)).toEqual(indexes(before));
    // The blob index: every blob a surviving image references, at the location it had.
    const blobEntries = Object.entries(after).filter(([key]) => isBlobEntry(key));
    expect(blobEntries).toHaveLength(summary.blobs);
    expect(summary.blobs).toBe(12); // 6 image manifests, a config and a layer each
    for (const [key, location] of blobEntries) expect(location).toBe(before[key]);
    // The stored-bytes gauge's counter is the sum of the sizes of the blobs it indexed again.
    const sizes = await Promise.all(
      blobEntries.map(async ([, location]) => (await storage.statBlob(location as string)).size),
    );
    expect(Number(after[stores.keys.storedBlobBytes])).toBe(sizes.reduce((a, b) => a + b, 0));
    expect(sizes.reduce((a, b) => a + b, 0)).toBeGreaterThan(0);
    // `rb/a/b` keeps links only for the image it still has (the deleted one's blobs were linked by uploads).
    const beforeLinks = links(before);
    const afterLinks = links(after);
    expect(Object.keys(afterLinks).sort()).toEqual(Object.keys(beforeLinks).sort());
    for (const [key, sizes] of Object.entries(afterLinks)) {
      for (const [digest, size] of Object.entries(sizes)) expect(beforeLinks[key]?.[digest]).toBe(size);
    }
  });

  it('a change that reached Redis but not the storage (a crash between them) is repaired by the retry', async () => {
    const redisOnly = createStores(redis, prefix, LIMITS);
    await createRepository('rb/retry');
    const digest = await (async () => {
      const saved = stores;
      stores = redisOnly; // the "crashed" first attempt: Redis only
      try {
        return await pushImage('rb/retry', 'latest');
      } finally {
        stores = saved;
      }
    })();
    expect(await stores.records!.getImage('rb/retry', digest)).toBeUndefined();

    // The client's retry of the same push finds it in Redis, and the storage is written anyway.
    const { record, bytes } = (await stores.images.getManifest('rb/retry', digest))!;
    const retried = await stores.images.put('rb/retry', {
      record,
      bytes,
      tag: 'latest',
      rejectUnchanged: true,
      tagImmutable: false,
    });
    expect(retried.kind).toBe('exists');
    expect((await stores.records!.getImage('rb/retry', digest))?.record.digest).toBe(digest);
    expect(await stores.records!.getTag('rb/retry', 'latest')).toBe(digest);
  });

  it('a tag deleted in Redis but still in the storage is deleted by the retry that finds it gone', async () => {
    await createRepository('rb/untag');
    const digest = await pushImage('rb/untag', 'stale');
    await redis.hdel(stores.keys.images('rb/untag').tags, 'stale'); // the first untag, crashed before the storage
    expect(await stores.records!.getTag('rb/untag', 'stale')).toBe(digest);
    expect((await stores.images.untag('rb/untag', 'stale')).kind).toBe('not-found');
    expect(await stores.records!.getTag('rb/untag', 'stale')).toBeUndefined();
  });

  it("ECR's delete by last tag removes the tag and the image from the storage too", async () => {
    await createRepository('rb/by-tag');
    const kept = await pushImage('rb/by-tag', 'kept');
    const dropped = await pushImage('rb/by-tag', 'only');
    expect(await stores.images.deleteTag('rb/by-tag', 'only')).toEqual({ kind: 'deleted', digest: dropped });
    expect(await stores.records!.getTag('rb/by-tag', 'only')).toBeUndefined();
    expect(await stores.records!.getImage('rb/by-tag', dropped)).toBeUndefined();
    expect((await stores.records!.getImage('rb/by-tag', kept))?.record.digest).toBe(kept);
  });
});

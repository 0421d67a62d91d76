import { createHash, randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { BlobBeingCollectedError, createStores, type Stores, type UploadLimits } from '@longshore/metadata';
import { createFilesystemDriver, type StorageDriver } from '@longshore/storage';
import { collectGarbage, type GarbageCollectionDeps } from './collect-garbage.js';

const LIMITS: UploadLimits = {
  minPartSize: 0,
  maxPartSize: 1024 * 1024,
  maxParts: 100,
  maxLayerSize: 1024 * 1024,
  partLockMs: 60_000,
  uploadTtlSeconds: 600,
  statusRetentionSeconds: 600,
};
const DAY_MS = 86_400_000;
/** A layer link made now: it keeps its blob for the layer-link grace period (a day here). */
const LINK = { size: 0, uploadId: 'u', linkedAt: Date.now() };

/**
 * The collector on a real Redis and filesystem driver, with a concurrent push's steps run at the
 * exact points of a collection where they race it (between the reference read and the sweep,
 * during the delete): each interleaving of the race, deterministically.
 */
describe('collectGarbage', () => {
  const prefix = `gc${randomBytes(4).toString('hex')}`;
  let redis: Redis;
  let dir: string;
  let storage: StorageDriver;
  let stores: Stores;
  beforeAll(async () => {
    redis = new Redis(inject('redisUrl'));
    dir = await mkdtemp(path.join(os.tmpdir(), 'gc-'));
    storage = createFilesystemDriver({ rootDir: dir });
    stores = createStores(redis, prefix, LIMITS);
    await stores.repositories.create({
      repositoryName: 'repo',
      registryId: '000000000000',
      createdAt: 0,
      imageTagMutability: 'MUTABLE',
      imageScanningConfiguration: { scanOnPush: false },
      encryptionConfiguration: { encryptionType: 'AES256' },
    });
  });
  afterAll(async () => {
    await redis?.quit();
    await rm(dir, { recursive: true, force: true });
  });

  /** Publishes and indexes a fresh blob, as a finalization does; returns its digest and location. */
  async function publishBlob(
    size = 500,
    bytes: Buffer = randomBytes(size),
  ): Promise<{ digest: string; location: string; size: number; bytes: Buffer }> {
    const digest = `sha256:${createHash('sha256').update(bytes).digest('hex')}`;
    const session = await storage.createUpload(crypto.randomUUID());
    const part = await storage.writePart(session, 1, bytes);
    const location = await storage.completeUpload(session, [part], digest);
    await storage.abortUpload(session);
    expect(await stores.blobs.claim(digest, location, size)).toBe(location);
    return { digest, location, size, bytes };
  }

  const deps = (overrides: Partial<GarbageCollectionDeps> = {}): GarbageCollectionDeps => ({
    blobs: stores.blobs,
    references: stores.blobReferences,
    layers: stores.layers,
    storage,
    graceMs: 0,
    layerLinkGraceMs: DAY_MS,
    ...overrides,
  });
  const exists = (location: string) =>
    storage.statBlob(location).then(
      () => true,
      () => false,
    );

  it('deletes an unreferenced blob and reports its bytes; keeps a linked one', async () => {
    const garbage = await publishBlob(700);
    const linked = await publishBlob(300);
    await stores.layers.link('repo', '000000000000', linked.digest, LINK);
    // Stored bytes count each digest once: a second claim of an indexed digest adds nothing.
    expect(await stores.blobs.claim(linked.digest, linked.location, linked.size)).toBe(linked.location);
    expect(await stores.blobs.storedBytes()).toBe(1000);
    const sizes: number[] = [];
    const report = await collectGarbage(deps({ onDeleted: (bytes) => sizes.push(bytes) }));
    expect(report).toEqual({ deleted: 1, bytes: 700, waiting: 0 });
    expect(sizes).toEqual([700]);
    expect(await stores.blobs.storedBytes()).toBe(300);
    expect(await stores.blobs.locate(garbage.digest)).toBeUndefined();
    expect(await exists(garbage.location)).toBe(false);
    expect(await stores.blobs.locate(linked.digest)).toBe(linked.location);
    expect(await exists(linked.location)).toBe(true);
  });

  it('keeps a blob retained after the reference read (a push linking it), until it is unreferenced again', async () => {
    const blob = await publishBlob();
    const racing = deps({
      references: {
        read: async (options) => {
          const references = await stores.blobReferences.read(options);
          // A push finalizing the same layer, after the collector read references: it retains
          // the indexed blob and links it.
          expect(await stores.blobs.retain(blob.digest)).toBe(blob.location);
          await stores.layers.link('repo', '000000000000', blob.digest, LINK);
          return references;
        },
      },
    });
    expect((await collectGarbage(racing)).deleted).toBe(0);
    expect(await exists(blob.location)).toBe(true);
    expect((await collectGarbage(deps())).deleted).toBe(0);
    expect(await exists(blob.location)).toBe(true);

    await stores.layers.unlink('repo', blob.digest);
    expect(await collectGarbage(deps())).toMatchObject({ deleted: 1, bytes: blob.size });
    expect(await exists(blob.location)).toBe(false);
  });

  it('makes a push that comes during the delete wait, then publish its own copy', async () => {
    const blob = await publishBlob();
    const seen: unknown[] = [];
    const racing = deps({
      storage: {
        statBlob: (location) => storage.statBlob(location),
        deleteBlob: async (location) => {
          // The push's retain and claim, while the blob is being deleted: both refuse.
          seen.push(await stores.blobs.retain(blob.digest).catch((err: unknown) => err));
          seen.push(await stores.blobs.claim(blob.digest, 'elsewhere').catch((err: unknown) => err));
          expect(await stores.blobs.locate(blob.digest)).toBeUndefined();
          await storage.deleteBlob(location);
        },
      },
    });
    expect((await collectGarbage(racing)).deleted).toBe(1);
    expect(seen).toHaveLength(2);
    for (const outcome of seen) expect(outcome).toBeInstanceOf(BlobBeingCollectedError);
    // The push's retry: nothing indexed, so it publishes its own parts and indexes them.
    expect(await stores.blobs.retain(blob.digest)).toBeUndefined();
    const again = await publishBlob(blob.size, blob.bytes);
    expect(await stores.blobs.locate(blob.digest)).toBe(again.location);
    expect(await exists(again.location)).toBe(true);
    expect((await collectGarbage(deps())).deleted).toBe(1);
  });

  it('marks from manifests: a link older than the layer-link grace keeps nothing, and goes with its blob', async () => {
    await stores.repositories.create({
      repositoryName: 'other',
      registryId: '000000000000',
      createdAt: 0,
      imageTagMutability: 'MUTABLE',
      imageScanningConfiguration: { scanOnPush: false },
      encryptionConfiguration: { encryptionType: 'AES256' },
    });
    const old = await publishBlob(400);
    const young = await publishBlob(300);
    const named = await publishBlob(200);
    const longAgo = { ...LINK, linkedAt: Date.now() - 2 * DAY_MS };
    await stores.layers.link('repo', '000000000000', old.digest, longAgo);
    await stores.layers.link('other', '000000000000', old.digest, longAgo);
    await stores.layers.link('repo', '000000000000', young.digest, LINK);
    await stores.layers.link('repo', '000000000000', named.digest, longAgo);
    // An image of another repository names `named`: its old link does not matter.
    const manifest = Buffer.from(
      JSON.stringify({
        schemaVersion: 2,
        mediaType: 'application/vnd.oci.image.manifest.v1+json',
        config: { mediaType: 'application/vnd.oci.image.config.v1+json', digest: named.digest, size: 200 },
        layers: [],
      }),
    );
    const digest = `sha256:${createHash('sha256').update(manifest).digest('hex')}`;
    const record = {
      digest,
      mediaType: 'application/vnd.oci.image.manifest.v1+json',
      manifestSize: manifest.length,
      imageSizeInBytes: 200,
      pushedAt: 0,
    };
    await stores.images.put('other', { record, bytes: manifest, rejectUnchanged: false, tagImmutable: false });

    expect(await collectGarbage(deps())).toMatchObject({ deleted: 1, bytes: 400 });
    expect(await exists(old.location)).toBe(false);
    // No repository keeps a link to the deleted blob.
    expect(await stores.layers.get('repo', old.digest)).toBeUndefined();
    expect(await stores.layers.get('other', old.digest)).toBeUndefined();
    expect(await exists(young.location)).toBe(true);
    expect(await stores.layers.get('repo', young.digest)).toBeDefined();
    expect(await exists(named.location)).toBe(true);

    // Deleting the image frees its blob; the young link's blob goes once its link is old too.
    expect((await stores.images.delete('other', digest, false)).kind).toBe('deleted');
    expect(await collectGarbage(deps())).toMatchObject({ deleted: 1, bytes: 200 });
    expect(await stores.layers.get('repo', named.digest)).toBeUndefined();
    // (Blobs earlier tests linked go too: every link is old with no grace.)
    expect((await collectGarbage(deps({ layerLinkGraceMs: 0 }))).deleted).toBeGreaterThanOrEqual(1);
    expect(await exists(young.location)).toBe(false);
    expect(await stores.layers.get('repo', young.digest)).toBeUndefined();
  });

  it('keeps the blobs a manifest push pinned, and lets them go once it unpinned', async () => {
    const blob = await publishBlob();
    const pin = await stores.blobReferences.pin([blob.digest]);
    expect((await collectGarbage(deps())).deleted).toBe(0);
    expect(await exists(blob.location)).toBe(true);
    await stores.blobReferences.unpin(pin);
    expect((await collectGarbage(deps())).deleted).toBe(1);
    // A pin left by a process that died long ago keeps nothing, and is dropped.
    const stale = await publishBlob();
    await stores.blobReferences.pin([stale.digest], Date.now() - 2 * 3_600_000);
    expect((await collectGarbage(deps())).deleted).toBe(1);
    expect(await redis.hlen(stores.keys.blobPins)).toBe(0);
  });

  it('keeps the digests an in-flight upload declared, and lets them go once it is over', async () => {
    const blob = await publishBlob();
    const uploadKey = stores.keys.upload(crypto.randomUUID());
    await redis.hset(uploadKey, { status: 'finalizing', layerDigests: JSON.stringify([blob.digest]) });
    expect((await collectGarbage(deps())).deleted).toBe(0);
    expect(await exists(blob.location)).toBe(true);

    await redis.hset(uploadKey, { status: 'completed' });
    expect((await collectGarbage(deps())).deleted).toBe(1);
    expect(await exists(blob.location)).toBe(false);
  });

  it('waits out the grace period from the first mark', async () => {
    const blob = await publishBlob();
    expect(await collectGarbage(deps({ graceMs: 3_600_000 }))).toMatchObject({ deleted: 0, waiting: 1 });
    expect(await exists(blob.location)).toBe(true);
    const mark = await redis.get(stores.keys.blobMark(blob.digest));
    expect(mark).toBeTruthy();
    // The mark keeps its first time; once that is older than the grace period, the blob goes.
    await redis.set(stores.keys.blobMark(blob.digest), `${Date.now() - 3_600_001}:${mark!.split(':')[1]}`);
    expect((await collectGarbage(deps({ graceMs: 3_600_000 }))).deleted).toBe(1);
    expect(await exists(blob.location)).toBe(false);
  });

  it('finishes a collection that stopped between its re-check and its delete', async () => {
    const blob = await publishBlob();
    const mark = (await stores.blobs.mark(blob.digest, `${Date.now()}:x`))!;
    expect(await stores.blobs.sweep(blob.digest, mark)).toBe(blob.location);
    expect(await stores.blobs.collecting(blob.digest)).toBe(blob.location);
    expect(await collectGarbage(deps())).toMatchObject({ deleted: 1, bytes: blob.size });
    expect(await redis.exists(stores.keys.blob(blob.digest))).toBe(0);
    expect(await exists(blob.location)).toBe(false);
  });

  it('never leaves a link to a deleted blob while collections run back to back with pushes (many rounds)', async () => {
    let running = true;
    let collections = 0;
    const collector = (async () => {
      while (running) {
        await collectGarbage(deps());
        collections += 1;
      }
    })();
    try {
      for (let round = 0; round < 40; round++) {
        // The blob of a layer just unlinked (garbage), pushed again: the steps finalizeUpload takes.
        const garbage = await publishBlob(200 + round);
        const uploadKey = stores.keys.upload(crypto.randomUUID());
        await redis.hset(uploadKey, { status: 'finalizing', layerDigests: JSON.stringify([garbage.digest]) });
        let location: string | undefined;
        while (location === undefined) {
          try {
            location = await stores.blobs.retain(garbage.digest);
            if (location === undefined) location = (await publishBlob(garbage.size, garbage.bytes)).location;
          } catch (err) {
            if (!(err instanceof BlobBeingCollectedError)) throw err;
            await expect.poll(() => stores.blobs.collecting(garbage.digest)).toBeUndefined();
          }
        }
        await stores.layers.link('repo', '000000000000', garbage.digest, LINK);
        await redis.hset(uploadKey, { status: 'completed' });
        const before = collections;
        await expect.poll(() => collections).toBeGreaterThan(before + 1);
        expect(await stores.blobs.locate(garbage.digest), `round ${round}`).toBe(location);
        expect(await exists(location), `round ${round}`).toBe(true);
      }
    } finally {
      running = false;
      await collector;
    }
  });
});

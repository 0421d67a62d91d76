import { randomBytes } from 'node:crypto';
import { RefusedError } from '@longshore/domain';
import { Cluster, Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { createStores, type Stores } from './create-stores.js';
import { BlobBeingCollectedError } from './layer-store.js';
import { testLimits } from './limits.test-fixture.js';
import { parseUploadAnnouncement } from './upload-store.js';

const LIMITS = testLimits();
const registryId = '000000000000';

/**
 * On a single Redis a finalization ends with one script (FinalizationStore.finish) instead of
 * the per-slot steps: here, on a real Redis, what it writes, what it refuses, and that it keeps
 * the per-slot steps' rules (first location wins, link idempotent per upload, first outcome
 * wins, nothing written while the collector deletes the blob).
 */
describe('FinalizationStore.finish', () => {
  let redis: Redis;
  let subscriber: Redis;
  let stores: Stores;
  let commands: string[];

  beforeAll(async () => {
    redis = new Redis(inject('redisUrl'));
    subscriber = new Redis(inject('redisUrl'));
    commands = [];
    const counting = new Proxy(redis, {
      get(target, property, receiver) {
        const value = Reflect.get(target, property, receiver) as unknown;
        if (typeof value !== 'function') return value;
        return (...args: unknown[]) => {
          commands.push(String(property));
          return (value as (...a: unknown[]) => unknown).apply(target, args);
        };
      },
    });
    stores = createStores(counting as Redis, `fs${randomBytes(4).toString('hex')}`, LIMITS);
  });

  afterAll(() => {
    redis.disconnect();
    subscriber.disconnect();
  });

  async function repository(repositoryName: string) {
    await stores.repositories.create({
      repositoryName,
      registryId,
      createdAt: 0,
      imageTagMutability: 'MUTABLE',
      imageScanningConfiguration: { scanOnPush: false },
      encryptionConfiguration: { encryptionType: 'AES256' },
    });
  }

  /** An upload of one committed 4-byte part, taken up by finalize job `job`. */
  async function finalizingUpload(repositoryName: string, digest: string) {
    const upload = await stores.uploads.initiate(repositoryName, registryId);
    const ref = { uploadId: upload.uploadId, repositoryName, registryId };
    const claim = await stores.uploads.claimPart(ref, 0, 3, 4);
    const part = { offset: 0, length: 4, checksum: 'crc32c:00000000', partNumber: claim.partNumber, receipt: '' };
    await stores.uploads.commitPart(ref, claim, part, 'state');
    await stores.uploads.beginCompletion(ref, { jobId: 'job', layerDigests: [digest] });
    await stores.uploads.startFinalizing(upload.uploadId, 'job');
    return upload.uploadId;
  }

  const newDigest = () => `sha256:${randomBytes(32).toString('hex')}`;
  const blob = (uploadId: string, repositoryName: string, digest: string, settle = true) => ({
    uploadId,
    repositoryName,
    registryId,
    digest,
    location: `loc/${uploadId}`,
    size: 4,
    settle,
  });

  it('indexes, counts, links and settles in one command, announcing the record once', async () => {
    await repository('finish/one');
    const digest = newDigest();
    const uploadId = await finalizingUpload('finish/one', digest);
    const announced: string[] = [];
    subscriber.on('message', (_channel, message) => announced.push(message));
    await subscriber.subscribe(stores.keys.uploadEvents(uploadId));
    const bytesBefore = await stores.blobs.storedBytes();

    commands.length = 0;
    const finished = await stores.finalizations.finish(blob(uploadId, 'finish/one', digest));
    // One command (and, the first time on this Redis, the script's body after NOSCRIPT).
    expect(commands.filter((c) => c !== 'eval')).toEqual(['evalsha']);

    expect(finished).toEqual({ kept: `loc/${uploadId}`, status: 'completed' });
    expect(await stores.blobs.locate(digest)).toBe(`loc/${uploadId}`);
    expect(await stores.blobs.storedBytes()).toBe(bytesBefore + 4);
    expect(await stores.layers.get('finish/one', digest)).toMatchObject({ size: 4, uploadId });
    const record = await stores.uploads.get(uploadId);
    expect(record).toMatchObject({
      status: 'completed',
      layerDigest: digest,
      layerSize: 4,
      blobLocation: `loc/${uploadId}`,
    });
    expect(record?.hashState).toBeUndefined();
    expect(await stores.uploads.parts(uploadId)).toEqual([]);
    expect(await redis.ttl(stores.keys.upload(uploadId))).toBeGreaterThan(0);
    await expect.poll(() => announced.length).toBe(1);
    // The announcement: what a waiting completion answers with, not the record.
    expect(JSON.parse(announced[0]!)).toEqual({ uploadId, status: 'completed', layerDigest: digest, layerSize: '4' });

    // A re-run (a retried job) changes nothing and announces nothing.
    expect(await stores.finalizations.finish(blob(uploadId, 'finish/one', digest))).toEqual(finished);
    expect(await stores.blobs.storedBytes()).toBe(bytesBefore + 4);
    await subscriber.unsubscribe();
    expect(announced).toHaveLength(1);
  });

  it("announces a failed upload's error, which the waiters' parser reads back as recorded", async () => {
    await repository('finish/failed');
    const uploadId = await finalizingUpload('finish/failed', newDigest());
    const announced: string[] = [];
    subscriber.on('message', (_channel, message) => announced.push(message));
    await subscriber.subscribe(stores.keys.uploadEvents(uploadId));
    const error = { code: 'DIGEST_NOT_NAMED' as const, facts: { layerDigest: 'sha256:0' } };
    await stores.uploads.recordFailed(uploadId, error);
    await expect.poll(() => announced.length).toBe(1);
    await subscriber.unsubscribe();
    subscriber.removeAllListeners('message');
    const message = JSON.parse(announced[0]!) as Record<string, string>;
    expect(Object.keys(message).sort()).toEqual(['error', 'status', 'uploadId']);
    expect(parseUploadAnnouncement(message)).toEqual({
      uploadId,
      status: 'failed',
      layerDigest: undefined,
      layerSize: undefined,
      error,
    });
  });

  it('keeps the first location of a digest and answers it to a second upload, counting the bytes once', async () => {
    await repository('finish/first');
    await repository('finish/second');
    const digest = newDigest();
    const first = await finalizingUpload('finish/first', digest);
    const second = await finalizingUpload('finish/second', digest);
    await stores.finalizations.finish(blob(first, 'finish/first', digest));
    const bytes = await stores.blobs.storedBytes();
    expect(await stores.finalizations.finish(blob(second, 'finish/second', digest))).toEqual({
      kept: `loc/${first}`,
      status: 'completed',
    });
    expect(await stores.blobs.storedBytes()).toBe(bytes);
    expect(await stores.layers.get('finish/second', digest)).toMatchObject({ uploadId: second });
  });

  it("without settle, links but leaves the upload's status for recordCompleted", async () => {
    await repository('finish/later');
    const digest = newDigest();
    const uploadId = await finalizingUpload('finish/later', digest);
    expect(await stores.finalizations.finish(blob(uploadId, 'finish/later', digest, false))).toEqual({
      kept: `loc/${uploadId}`,
      status: 'finalizing',
    });
    expect(await stores.layers.get('finish/later', digest)).toMatchObject({ uploadId });
    expect(await stores.uploads.recordCompleted(uploadId, digest, 4)).toBe('completed');
  });

  it('writes nothing while the collector deletes the blob (transient), and retains a marked one', async () => {
    await repository('finish/gc');
    const collecting = newDigest();
    const uploadId = await finalizingUpload('finish/gc', collecting);
    await stores.blobs.claim(collecting, 'old');
    await stores.blobs.mark(collecting, '1:a');
    await stores.blobs.sweep(collecting, '1:a');
    await expect(stores.finalizations.finish(blob(uploadId, 'finish/gc', collecting))).rejects.toBeInstanceOf(
      BlobBeingCollectedError,
    );
    expect(await stores.layers.get('finish/gc', collecting)).toBeUndefined();
    expect(await stores.uploads.get(uploadId)).toMatchObject({ status: 'finalizing', blobLocation: undefined });

    const marked = newDigest();
    const other = await finalizingUpload('finish/gc', marked);
    await stores.blobs.claim(marked, 'kept');
    expect(await stores.blobs.mark(marked, '2:b')).toBe('2:b');
    await stores.finalizations.finish(blob(other, 'finish/gc', marked));
    // The mark is gone: a collection that marked the digest before keeps it.
    expect(await stores.blobs.sweep(marked, '2:b')).toBeUndefined();
  });

  it('refuses a deleted repository and another upload of a linked layer, as the per-slot steps do', async () => {
    await repository('finish/refused');
    const digest = newDigest();
    const linked = await finalizingUpload('finish/refused', digest);
    const again = await finalizingUpload('finish/refused', digest);
    await stores.finalizations.finish(blob(linked, 'finish/refused', digest));
    const exists = await stores.finalizations.finish(blob(again, 'finish/refused', digest)).catch((e: unknown) => e);
    expect(exists).toBeInstanceOf(RefusedError);
    expect((exists as RefusedError).code).toBe('LAYER_EXISTS');
    expect(await stores.uploads.get(again)).toMatchObject({ status: 'finalizing' });

    const gone = await finalizingUpload('finish/refused', newDigest());
    await stores.repositories.delete('finish/refused', registryId, true);
    const refused = await stores.finalizations
      .finish(blob(gone, 'finish/refused', (await stores.uploads.get(gone))!.layerDigests![0]!))
      .catch((e: unknown) => e);
    expect((refused as RefusedError).code).toBe('REPOSITORY_NOT_FOUND');
    expect(await stores.uploads.get(gone)).toMatchObject({ status: 'finalizing' });
  });

  it('is not combined on a Redis Cluster, whose slots it would cross', () => {
    const cluster = new Cluster([{ host: '127.0.0.1', port: 1 }], { lazyConnect: true });
    const onCluster = createStores(cluster, 'cl', LIMITS);
    expect(onCluster.finalizations.combined).toBe(false);
    expect(stores.finalizations.combined).toBe(true);
    cluster.disconnect();
  });
});

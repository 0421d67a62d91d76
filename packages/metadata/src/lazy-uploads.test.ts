import { randomBytes } from 'node:crypto';
import { RefusedError } from '@longshore/domain';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { createStores, type Stores } from './create-stores.js';
import { LazyUploads } from './lazy-uploads.js';
import { testLimits } from './limits.test-fixture.js';
import { UploadIds } from './upload-ids.js';
import type { UploadRef } from './upload-store.js';

const LIMITS = testLimits({ uploadTtlSeconds: 3600, statusRetentionSeconds: 600 });
const registryId = '000000000000';
const repositoryName = 'team/lazy';
const owner = { repositoryName, registryId };
const blobPolicy = { minPartSize: 0, maxPartSize: 1000, allowEmpty: true };
const part = (offset: number, length: number, partNumber: number) => ({
  offset,
  length,
  checksum: 'crc32c:00000000',
  partNumber,
  receipt: '',
});
const options = { jobId: 'job', layerDigests: [`sha256:${'e'.repeat(64)}`] };
const facts = { repositoryExists: true, linkedDigest: '' };

/**
 * An upload started without a record (an issued id): it reads as a fresh upload for its owner
 * alone, and the first script that needs its record makes it, in the same round trip. An aborted
 * one stays aborted; a forged, tampered, other repository's or expired id is unknown.
 */
describe('UploadStore: uploads started without a record (lazy-uploads.ts)', () => {
  let redis: Redis;
  let stores: Stores;
  const ids = new UploadIds('lazy-test-secret');

  beforeAll(async () => {
    redis = new Redis(inject('redisUrl'));
    stores = createStores(redis, `ls${randomBytes(4).toString('hex')}`, LIMITS);
    stores.uploads.startLazily(
      new LazyUploads(redis, stores.keys, LIMITS, {
        ids,
        sessionOf: (uploadId) => JSON.stringify({ uploadId, state: {} }),
        policies: [blobPolicy],
      }),
    );
    for (const name of [repositoryName, 'team/other']) {
      await stores.repositories.create({
        repositoryName: name,
        registryId,
        createdAt: 0,
        imageTagMutability: 'MUTABLE',
        imageScanningConfiguration: { scanOnPush: false },
        encryptionConfiguration: { encryptionType: 'AES256' },
      });
    }
  });
  afterAll(() => redis.disconnect());

  function issued(): UploadRef {
    const record = stores.uploads.issue(owner, blobPolicy)!;
    return { uploadId: record.uploadId, repositoryName, registryId };
  }
  const stored = (ref: UploadRef) => redis.exists(stores.keys.upload(ref.uploadId));

  it('issues an upload without writing anything, which reads as fresh for its owner only', async () => {
    const ref = issued();
    expect(await stored(ref)).toBe(0);
    const record = await stores.uploads.get(ref.uploadId, owner);
    expect(record).toMatchObject({
      uploadId: ref.uploadId,
      repositoryName,
      status: 'uploading',
      bytesReceived: 0,
      nextPartNumber: 0,
      maxPartSize: 1000,
      allowEmpty: true,
      storageSession: JSON.stringify({ uploadId: ref.uploadId, state: {} }),
    });
    expect(await stores.uploads.get(ref.uploadId)).toBeUndefined();
    expect(await stores.uploads.get(ref.uploadId, { ...owner, repositoryName: 'team/other' })).toBeUndefined();
    expect((await stores.uploads.partStart(ref)).record?.status).toBe('uploading');
  });

  it('issues no id for a policy no id can name: that upload is initiated with a record', () => {
    expect(stores.uploads.issue(owner)).toBeUndefined();
    expect(stores.uploads.issue(owner, { ...blobPolicy, allowEmpty: false })).toBeUndefined();
  });

  it('makes the record with the first part written without a claim, and commits it', async () => {
    const ref = issued();
    const { record } = await stores.uploads.partStart(ref);
    const partNumber = stores.uploads.unclaimedPartNumber(record, ref, 0, 8)!;
    expect(partNumber).toBe(1);
    expect(await stores.uploads.commitUnclaimedPart(ref, partNumber, part(0, 8, 1), 'state-8')).toBe(true);
    expect(await stores.uploads.get(ref.uploadId)).toMatchObject({ bytesReceived: 8, nextPartNumber: 1 });
    expect(await redis.ttl(stores.keys.upload(ref.uploadId))).toBeGreaterThan(3000);
  });

  it('makes the record with a claim, and with a last part and its completion in one script', async () => {
    const claimedRef = issued();
    const claim = await stores.uploads.claimPart(claimedRef, 0, 9, 10);
    expect(claim.partNumber).toBe(1);
    expect(await stores.uploads.commitPart(claimedRef, claim, part(0, 10, 1), 'state-10')).toBe(10);

    const lastRef = issued();
    const start = await stores.uploads.commitUnclaimedLastPart(lastRef, 1, part(0, 8, 1), 's', options, facts);
    expect(start).toEqual({ outcome: 'queued' });
    expect((await stores.uploads.get(lastRef.uploadId))?.status).toBe('queued');
  });

  it('completes an issued upload with no part as the empty blob (its policy allows it)', async () => {
    const ref = issued();
    expect(await stores.uploads.beginCompletion(ref, options, Date.now(), facts)).toEqual({ outcome: 'queued' });
    expect(await stores.uploads.get(ref.uploadId)).toMatchObject({ status: 'queued', bytesReceived: 0 });
  });

  it('never makes again a record that exists: a queued upload stays queued', async () => {
    const ref = issued();
    await stores.uploads.beginCompletion(ref, options, Date.now(), facts);
    await expect(stores.uploads.claimPart(ref, 0, 7, 8)).rejects.toMatchObject({ code: 'NOT_UPLOADING' });
    expect((await stores.uploads.get(ref.uploadId, owner))?.status).toBe('queued');
  });

  it('keeps an aborted upload aborted: its tombstone outlives the absent record', async () => {
    const ref = issued();
    expect(await stores.uploads.abort(ref)).toBe(JSON.stringify({ uploadId: ref.uploadId, state: {} }));
    expect(await stored(ref)).toBe(0);
    expect(await redis.ttl(stores.keys.uploadTombstone(ref.uploadId))).toBeGreaterThan(3000);
    expect(await stores.uploads.get(ref.uploadId, owner)).toBeUndefined();
    expect((await stores.uploads.partStart(ref)).record).toBeUndefined();
    await expect(stores.uploads.claimPart(ref, 0, 7, 8)).rejects.toMatchObject({ code: 'UPLOAD_NOT_FOUND' });
    expect(await stores.uploads.commitUnclaimedPart(ref, 1, part(0, 8, 1), 's')).toBe(false);
    await expect(stores.uploads.beginCompletion(ref, options, Date.now(), facts)).rejects.toMatchObject({
      code: 'UPLOAD_NOT_FOUND',
    });
    await expect(stores.uploads.abort(ref)).rejects.toBeInstanceOf(RefusedError);
    expect(await stored(ref)).toBe(0);
  });

  it('knows no forged, tampered, other repository’s or expired id', async () => {
    const good = issued();
    const tampered = { ...good, uploadId: `${good.uploadId.slice(0, 35)}${good.uploadId.endsWith('0') ? '1' : '0'}` };
    const elsewhere = { ...good, repositoryName: 'team/other' };
    const forged = { ...good, uploadId: new UploadIds('another-secret').issue(owner, 0) };
    const lifeMs = Math.min(LIMITS.uploadTtlSeconds, LIMITS.statusRetentionSeconds) * 1000;
    const expired = { ...good, uploadId: ids.issue(owner, 0, Date.now() - lifeMs - 2000) };
    const future = { ...good, uploadId: ids.issue(owner, 0, Date.now() + 3_600_000) };
    for (const ref of [tampered, elsewhere, forged, expired, future]) {
      expect(await stores.uploads.get(ref.uploadId, ref)).toBeUndefined();
      await expect(stores.uploads.claimPart(ref, 0, 7, 8)).rejects.toMatchObject({ code: 'UPLOAD_NOT_FOUND' });
      expect(await stores.uploads.commitUnclaimedPart(ref, 1, part(0, 8, 1), 's')).toBe(false);
      await expect(stores.uploads.abort(ref)).rejects.toMatchObject({ code: 'UPLOAD_NOT_FOUND' });
      expect(await stored(ref)).toBe(0);
    }
    // Just within its life, an issued id is still good.
    const old = { ...good, uploadId: ids.issue(owner, 0, Date.now() - lifeMs + 5000) };
    expect((await stores.uploads.get(old.uploadId, old))?.status).toBe('uploading');
  });
});

import { randomBytes } from 'node:crypto';
import { RefusedError } from '@longshore/domain';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { createStores, type Stores } from './create-stores.js';
import type { UploadRef } from './upload-store.js';
import { testLimits } from './limits.test-fixture.js';

const LIMITS = testLimits({ minPartSize: 4, maxPartSize: 64, maxParts: 3, maxLayerSize: 100, partLockMs: 60_000 });
const registryId = '000000000000';
const repositoryName = 'team/unclaimed';
const part = (offset: number, length: number, partNumber: number) => ({
  offset,
  length,
  checksum: 'crc32c:00000000',
  partNumber,
  receipt: '',
});
const options = { jobId: 'job', layerDigests: [`sha256:${'d'.repeat(64)}`] };

/**
 * A small part written without a claim commits only if the upload is still as its writer read it:
 * no part number handed out since, the same bytes received, no live claim, still taking parts.
 * Anything else is refused with nothing written, and the writer goes the claimed way.
 */
describe('UploadStore: parts committed without a claim', () => {
  let redis: Redis;
  let stores: Stores;

  beforeAll(async () => {
    redis = new Redis(inject('redisUrl'));
    stores = createStores(redis, `ls${randomBytes(4).toString('hex')}`, LIMITS);
    await stores.repositories.create({
      repositoryName,
      registryId,
      createdAt: 0,
      imageTagMutability: 'MUTABLE',
      imageScanningConfiguration: { scanOnPush: false },
      encryptionConfiguration: { encryptionType: 'AES256' },
    });
  });
  afterAll(() => redis.disconnect());

  async function started(): Promise<UploadRef> {
    const upload = await stores.uploads.initiate(repositoryName, registryId, { storageSession: '{}' });
    return { uploadId: upload.uploadId, repositoryName, registryId };
  }

  it('offers the next part number from the record as read, and none where a claim would refuse', async () => {
    const ref = await started();
    const { record } = await stores.uploads.partStart(ref);
    const { uploads } = stores;
    expect(record!.nextPartNumber).toBe(0);
    expect(uploads.unclaimedPartNumber(record, ref, 0, 8)).toBe(1);
    expect(uploads.unclaimedPartNumber(record, ref, 1, 8)).toBeUndefined(); // not the next byte
    expect(uploads.unclaimedPartNumber(record, ref, 0, 65)).toBeUndefined(); // over the part size
    expect(uploads.unclaimedPartNumber(record, ref, 0, 0)).toBeUndefined(); // empty
    expect(uploads.unclaimedPartNumber(record, { ...ref, repositoryName: 'team/other' }, 0, 8)).toBeUndefined();
    expect(uploads.unclaimedPartNumber(undefined, ref, 0, 8)).toBeUndefined();
    await uploads.claimPart(ref, 0, 7, 8);
    const claimed = (await uploads.partStart(ref)).record;
    expect(claimed!.partInFlight).toBe(true);
    expect(uploads.unclaimedPartNumber(claimed, ref, 0, 8)).toBeUndefined(); // a live claim
  });

  it('commits a part as read, taking its part number, so the next claim gets the one after', async () => {
    const ref = await started();
    expect(await stores.uploads.commitUnclaimedPart(ref, 1, part(0, 8, 1), 'state-8')).toBe(true);
    const record = await stores.uploads.get(ref.uploadId);
    expect(record).toMatchObject({ bytesReceived: 8, partsReceived: 1, nextPartNumber: 1, hashState: 'state-8' });
    expect(record!.partInFlight).toBe(false);
    expect(await stores.uploads.parts(ref.uploadId)).toEqual([part(0, 8, 1)]);
    const claim = await stores.uploads.claimPart(ref, 8, 15, 8);
    expect(claim).toMatchObject({ partNumber: 2, hashState: 'state-8' });
  });

  it('refuses, writing nothing, once a claim took a number since the read (the claimed writer goes on)', async () => {
    const ref = await started();
    const claim = await stores.uploads.claimPart(ref, 0, 7, 8); // takes number 1
    expect(await stores.uploads.commitUnclaimedPart(ref, 1, part(0, 8, 1), 'unclaimed')).toBe(false);
    expect(await stores.uploads.commitUnclaimedPart(ref, 2, part(0, 8, 2), 'unclaimed')).toBe(false); // live claim
    expect(await stores.uploads.parts(ref.uploadId)).toEqual([]);
    await stores.uploads.commitPart(ref, claim, part(0, 8, 1), 'claimed');
    expect(await stores.uploads.get(ref.uploadId)).toMatchObject({ bytesReceived: 8, hashState: 'claimed' });
  });

  it('refuses a second writer of the same part once the first committed (the same number, the same offset)', async () => {
    const ref = await started();
    expect(await stores.uploads.commitUnclaimedPart(ref, 1, part(0, 8, 1), 'first')).toBe(true);
    expect(await stores.uploads.commitUnclaimedPart(ref, 1, part(0, 8, 1), 'second')).toBe(false);
    expect(await stores.uploads.commitUnclaimedPart(ref, 2, part(0, 8, 2), 'second')).toBe(false); // offset moved
    expect(await stores.uploads.parts(ref.uploadId)).toEqual([part(0, 8, 1)]);
    expect((await stores.uploads.get(ref.uploadId))!.hashState).toBe('first');
  });

  it('takes over an expired claim, whose writer can then no longer commit', async () => {
    const ref = await started();
    const stale = await stores.uploads.claimPart(ref, 0, 7, 8, Date.now() - 2 * LIMITS.partLockMs);
    expect((await stores.uploads.get(ref.uploadId))!.partInFlight).toBe(false);
    expect(await stores.uploads.commitUnclaimedPart(ref, 2, part(0, 8, 2), 'fresh')).toBe(true);
    await expect(stores.uploads.commitPart(ref, stale, part(0, 8, 1), 'stale')).rejects.toBeInstanceOf(RefusedError);
    expect(await stores.uploads.parts(ref.uploadId)).toEqual([part(0, 8, 2)]);
  });

  it('refuses a part of an aborted upload, and of one whose completion began', async () => {
    const aborted = await started();
    await stores.uploads.abort(aborted);
    expect(await stores.uploads.commitUnclaimedPart(aborted, 1, part(0, 8, 1), 'late')).toBe(false);
    expect(await stores.uploads.get(aborted.uploadId)).toBeUndefined();

    const completing = await started();
    expect(await stores.uploads.commitUnclaimedPart(completing, 1, part(0, 8, 1), 's')).toBe(true);
    await stores.uploads.beginCompletion(completing, options);
    expect(await stores.uploads.commitUnclaimedPart(completing, 2, part(8, 8, 2), 'late')).toBe(false);
    expect(await stores.uploads.parts(completing.uploadId)).toEqual([part(0, 8, 1)]);
  });

  it('commits the last part and begins the completion in one script, or neither', async () => {
    const ref = await started();
    const facts = await stores.uploads.completionFacts(repositoryName, options.layerDigests);
    expect(await stores.uploads.commitUnclaimedLastPart(ref, 1, part(0, 8, 1), 's', options, facts)).toEqual({
      outcome: 'queued',
    });
    expect(await stores.uploads.get(ref.uploadId)).toMatchObject({ status: 'queued', bytesReceived: 8 });

    const raced = await started();
    await stores.uploads.claimPart(raced, 0, 7, 8);
    const start = await stores.uploads.commitUnclaimedLastPart(raced, 1, part(0, 8, 1), 's', options, facts);
    expect(start.outcome).toBe('not-committed');
    expect(await stores.uploads.get(raced.uploadId)).toMatchObject({ status: 'uploading', bytesReceived: 0 });
    await expect(
      stores.uploads.commitUnclaimedLastPart(raced, 2, part(0, 8, 2), 's', options, {
        repositoryExists: false,
        linkedDigest: '',
      }),
    ).rejects.toMatchObject({ code: 'REPOSITORY_NOT_FOUND' });
  });

  it('commits in the repository only while it exists (one script), refusing a stale start as commitUnclaimedPart does', async () => {
    const ref = await started();
    expect(await stores.uploads.commitUnclaimedPartInRepository(ref, 1, part(0, 8, 1), 'state-8')).toBe('committed');
    expect(await stores.uploads.get(ref.uploadId)).toMatchObject({ bytesReceived: 8, nextPartNumber: 1 });
    // As left after part 1, but another writer's part came since: refused, nothing written.
    expect(await stores.uploads.commitUnclaimedPart(ref, 2, part(8, 8, 2), 'state-16')).toBe(true);
    expect(await stores.uploads.commitUnclaimedPartInRepository(ref, 2, part(8, 8, 2), 'stale')).toBe('refused');
    expect(await stores.uploads.get(ref.uploadId)).toMatchObject({ bytesReceived: 16, hashState: 'state-16' });

    const gone = 'team/unclaimed-gone';
    await stores.repositories.create({
      repositoryName: gone,
      registryId,
      createdAt: 0,
      imageTagMutability: 'MUTABLE',
      imageScanningConfiguration: { scanOnPush: false },
      encryptionConfiguration: { encryptionType: 'AES256' },
    });
    const upload = await stores.uploads.initiate(gone, registryId, { storageSession: '{}' });
    const goneRef = { uploadId: upload.uploadId, repositoryName: gone, registryId };
    await stores.repositories.delete(gone, registryId, false);
    expect(await stores.uploads.commitUnclaimedPartInRepository(goneRef, 1, part(0, 8, 1), 's')).toBe('no-repository');
    expect(await stores.uploads.get(upload.uploadId)).toMatchObject({
      bytesReceived: 0,
      partsReceived: 0,
      nextPartNumber: 0,
    });
    expect(await stores.uploads.parts(upload.uploadId)).toEqual([]);
  });
});

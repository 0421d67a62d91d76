import { randomBytes } from 'node:crypto';
import { RefusedError } from '@longshore/domain';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, beforeEach, describe, expect, inject, it } from 'vitest';
import { createStores, type Stores } from './create-stores.js';
import type { UploadRef } from './upload-store.js';
import { testLimits } from './limits.test-fixture.js';

const LIMITS = testLimits({ minPartSize: 4 });
const registryId = '000000000000';
const repositoryName = 'team/last-part';
const digest = `sha256:${'e'.repeat(64)}`;
const part = (offset: number, length: number, partNumber: number) => ({
  offset,
  length,
  checksum: 'crc32c:00000000',
  partNumber,
  receipt: '',
});

/**
 * A request that carries an upload's last part and its completion (an OCI monolithic PUT) commits
 * the part and begins the completion in one script (commitLastPart), and reads what the
 * completion checks in other slots in one round trip (completionFacts): each refusal stays the
 * one the two calls in a row gave.
 */
describe('UploadStore.commitLastPart and the round trips of a push', () => {
  let redis: Redis;
  let stores: Stores;
  let commands: string[] = [];

  beforeAll(async () => {
    redis = new Redis(inject('redisUrl'));
    const counting = new Proxy(redis, {
      get(target, property, receiver) {
        const value = Reflect.get(target, property, receiver) as unknown;
        if (typeof value !== 'function') return value;
        return (...args: unknown[]) => {
          // EVAL is runScript's fallback when this Redis has not seen the script yet: the same call.
          if (property !== 'eval') commands.push(String(property));
          return (value as (...a: unknown[]) => unknown).apply(target, args);
        };
      },
    });
    stores = createStores(counting as Redis, `ls${randomBytes(4).toString('hex')}`, LIMITS);
    await stores.repositories.create({
      repositoryName,
      registryId,
      createdAt: 0,
      imageTagMutability: 'MUTABLE',
      imageScanningConfiguration: { scanOnPush: false },
      encryptionConfiguration: { encryptionType: 'AES256' },
    });
  });
  beforeEach(() => {
    commands = [];
  });
  afterAll(() => redis.disconnect());

  async function started(): Promise<UploadRef> {
    const upload = await stores.uploads.initiate(repositoryName, registryId, {
      policy: { minPartSize: 0, maxPartSize: 1024 },
    });
    return { uploadId: upload.uploadId, repositoryName, registryId };
  }

  it('creates the record with one script of one HSET', async () => {
    const upload = await stores.uploads.initiate(repositoryName, registryId);
    expect(commands).toEqual(['evalsha']);
    expect(await stores.uploads.get(upload.uploadId)).toMatchObject({ status: 'uploading', bytesReceived: 0 });
  });

  it('commits the last part and queues the upload in one script, announcing the queued record', async () => {
    const ref = await started();
    const facts = await stores.uploads.completionFacts(repositoryName, [digest]);
    expect(facts).toEqual({ repositoryExists: true, linkedDigest: '' });
    const claim = await stores.uploads.claimPart(ref, 0, 3, 4, Date.now(), facts.repositoryExists);
    commands = [];
    const start = await stores.uploads.commitLastPart(
      ref,
      claim,
      part(0, 4, claim.partNumber),
      'state',
      {
        jobId: 'job',
        layerDigests: [digest],
      },
      facts,
    );
    expect(start).toEqual({ outcome: 'queued' });
    expect(commands).toEqual(['evalsha']);
    expect(await stores.uploads.get(ref.uploadId)).toMatchObject({
      status: 'queued',
      bytesReceived: 4,
      partsReceived: 1,
      jobId: 'job',
      layerDigests: [digest],
      partInFlight: false,
    });
    expect(await stores.uploads.parts(ref.uploadId)).toEqual([part(0, 4, claim.partNumber)]);
  });

  it('a job behind the completion: added right after the script, told whether the script queued the upload', async () => {
    const order: string[] = [];
    const behind = () => {
      const job = {
        connection: redis,
        add: () => {
          order.push('add');
          // What the job's add would find, sent on the same connection right behind the script.
          void redis.hget(stores.keys.upload(ref.uploadId), 'status').then((status) => order.push(`saw ${status}`));
        },
      } as { connection: Redis; add(): void; queuedAhead?: boolean };
      return job;
    };
    const ref = await started();
    const facts = { repositoryExists: true, linkedDigest: '' };
    const empty = behind();
    await expect(
      stores.uploads.beginCompletion(
        ref,
        { jobId: 'job', layerDigests: [digest], jobBehind: empty },
        Date.now(),
        facts,
      ),
    ).rejects.toMatchObject({ code: 'EMPTY' });
    expect(empty.queuedAhead, 'a refused completion queued nothing ahead of its job').toBe(false);

    const claim = await stores.uploads.claimPart(ref, 0, 3, 4);
    const queued = behind();
    const options = { jobId: 'job', layerDigests: [digest], jobBehind: queued };
    const start = await stores.uploads.commitLastPart(ref, claim, part(0, 4, claim.partNumber), '', options, facts);
    expect(start).toEqual({ outcome: 'queued' });
    expect(queued.queuedAhead).toBe(true);
    await expect.poll(() => order).toEqual(['add', 'saw uploading', 'add', 'saw queued']);

    // A later script of the same completion goes as before: the job is behind the first one only.
    commands = [];
    expect(await stores.uploads.beginCompletion(ref, options, Date.now(), facts)).toMatchObject({ outcome: 'already' });
    expect(commands).toEqual(['evalsha']);
    expect(order).toHaveLength(4);
  });

  it('a part whose claim was taken over is not committed, and the completion does not begin', async () => {
    const ref = await started();
    const facts = { repositoryExists: true, linkedDigest: '' };
    const lost = await stores.uploads.claimPart(ref, 0, 3, 4);
    await stores.uploads.claimPart(ref, 0, 3, 4); // a retry of the same part takes the claim over
    const start = await stores.uploads.commitLastPart(
      ref,
      lost,
      part(0, 4, lost.partNumber),
      '',
      {
        jobId: 'job',
        layerDigests: [digest],
      },
      facts,
    );
    expect(start).toMatchObject({ outcome: 'not-committed', refusal: { code: 'SUPERSEDED' } });
    expect(await stores.uploads.get(ref.uploadId)).toMatchObject({ status: 'uploading', bytesReceived: 0 });
    expect(await stores.uploads.parts(ref.uploadId)).toEqual([]);
  });

  it('a completion refused after the commit leaves the part committed, as two calls in a row did', async () => {
    // An ECR-policy upload (minimum part 4 bytes): a 2-byte part, then the last one.
    const upload = await stores.uploads.initiate(repositoryName, registryId);
    const ref = { uploadId: upload.uploadId, repositoryName, registryId };
    const first = await stores.uploads.claimPart(ref, 0, 1, 2);
    await stores.uploads.commitPart(ref, first, part(0, 2, first.partNumber), '');
    const last = await stores.uploads.claimPart(ref, 2, 5, 4);
    await expect(
      stores.uploads.commitLastPart(
        ref,
        last,
        part(2, 4, last.partNumber),
        '',
        {
          jobId: 'job',
          layerDigests: [digest],
        },
        { repositoryExists: true, linkedDigest: '' },
      ),
    ).rejects.toMatchObject({ constructor: RefusedError, code: 'PART_TOO_SMALL', facts: { limit: 4 } });
    expect(await stores.uploads.get(ref.uploadId)).toMatchObject({ status: 'uploading', bytesReceived: 6 });
  });

  it('a layer the repository already links is refused after the commit, with its digest', async () => {
    const ref = await started();
    await stores.layers.link(repositoryName, registryId, digest, { size: 4, uploadId: 'other', linkedAt: 0 });
    const facts = await stores.uploads.completionFacts(repositoryName, [`sha256:${'f'.repeat(64)}`, digest]);
    expect(facts).toEqual({ repositoryExists: true, linkedDigest: digest });
    const claim = await stores.uploads.claimPart(ref, 0, 3, 4);
    await expect(
      stores.uploads.commitLastPart(
        ref,
        claim,
        part(0, 4, claim.partNumber),
        '',
        {
          jobId: 'job',
          layerDigests: [digest],
        },
        facts,
      ),
    ).rejects.toMatchObject({ code: 'LAYER_EXISTS', facts: { layerDigest: digest } });
    expect((await stores.uploads.get(ref.uploadId))?.status).toBe('uploading');
  });

  it('a claim reads the repository in the same round trip, and releases a claim on a repository that is gone', async () => {
    const ref = await started();
    commands = [];
    await stores.uploads.claimPart(ref, 0, 3, 4);
    expect(commands.sort()).toEqual(['evalsha', 'hexists']);

    const gone = { ...(await started()), repositoryName: 'team/gone' };
    await redis.hset(stores.keys.upload(gone.uploadId), 'repositoryName', 'team/gone');
    await expect(stores.uploads.claimPart(gone, 0, 3, 4)).rejects.toMatchObject({ code: 'REPOSITORY_NOT_FOUND' });
    expect(await redis.hget(stores.keys.upload(gone.uploadId), 'claimToken')).toBeNull();
    expect((await stores.uploads.get(gone.uploadId))?.partInFlight).toBe(false);
  });

  it('a completion reads the repository and its links together, then runs one script', async () => {
    const ref = await started();
    const claim = await stores.uploads.claimPart(ref, 0, 3, 4);
    await stores.uploads.commitPart(ref, claim, part(0, 4, claim.partNumber), '');
    commands = [];
    expect(
      await stores.uploads.beginCompletion(ref, { jobId: 'j', layerDigests: [`sha256:${'9'.repeat(64)}`] }),
    ).toEqual({ outcome: 'queued' });
    expect(commands.slice(0, 2).sort()).toEqual(['hexists', 'hmget']);
    expect(commands.slice(2)).toEqual(['evalsha']);
  });
});

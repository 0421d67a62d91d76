import { randomBytes, randomUUID } from 'node:crypto';
import { Cluster, Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { createKeys } from './keys.js';
import { createStores, type Stores } from './create-stores.js';
import { testLimits } from './limits.test-fixture.js';

const LIMITS = testLimits({});
const registryId = '000000000000';
const repository = {
  repositoryName: 'team/initiate',
  registryId,
  createdAt: 0,
  imageTagMutability: 'MUTABLE',
  imageScanningConfiguration: { scanOnPush: false },
  encryptionConfiguration: { encryptionType: 'AES256' },
};
const policy = { minPartSize: 0, maxPartSize: 1000, allowEmpty: true };

/** A /v2 POST's repository read folded into its upload record's script (single Redis only). */
describe('UploadStore.initiateInRepository', () => {
  let redis: Redis;
  let stores: Stores;
  let prefix: string;

  beforeAll(async () => {
    redis = new Redis(inject('redisUrl'));
    prefix = `ls${randomBytes(4).toString('hex')}`;
    stores = createStores(redis, prefix, LIMITS);
    await stores.repositories.create(repository);
  });
  afterAll(() => redis.disconnect());

  it('records the upload as initiate does and answers the repository, in one script', async () => {
    const uploadId = randomUUID();
    const now = 1_700_000_000_000;
    const options = { uploadId, storageSession: '{"s":1}', policy, now };
    const started = await stores.uploads.initiateInRepository(repository.repositoryName, registryId, options);
    expect(started).toEqual({
      record: expect.objectContaining({ uploadId, status: 'uploading' }),
      repository: await stores.repositories.get(repository.repositoryName),
    });
    const keys = createKeys(prefix);
    const stored = await redis.hgetall(keys.upload(uploadId));
    const ttl = await redis.ttl(keys.upload(uploadId));

    const other = randomUUID();
    const record = await stores.uploads.initiate(repository.repositoryName, registryId, {
      ...options,
      uploadId: other,
    });
    expect(started !== 'missing' && started !== 'unsupported' && started.record).toEqual({ ...record, uploadId });
    expect(stored).toEqual({ ...(await redis.hgetall(keys.upload(other))), uploadId });
    expect(ttl).toBeGreaterThan(0);
  });

  it('writes nothing when the repository does not exist', async () => {
    const uploadId = randomUUID();
    const started = await stores.uploads.initiateInRepository('team/missing', registryId, { uploadId, policy });
    expect(started).toBe('missing');
    expect(await redis.exists(createKeys(prefix).upload(uploadId))).toBe(0);
  });

  it('is not done on a Redis Cluster, whose repositories hash is in another slot', async () => {
    const cluster = new Cluster([{ host: '127.0.0.1', port: 1 }], { lazyConnect: true });
    const onCluster = createStores(cluster, 'cl', LIMITS);
    expect(onCluster.uploads.initiatesInRepository).toBe(false);
    expect(await onCluster.uploads.initiateInRepository(repository.repositoryName, registryId)).toBe('unsupported');
    expect(stores.uploads.initiatesInRepository).toBe(true);
  });
});

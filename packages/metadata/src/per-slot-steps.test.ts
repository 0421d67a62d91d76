import { createHash, randomBytes } from 'node:crypto';
import { RefusedError } from '@longshore/domain';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { createStores, type Stores } from './create-stores.js';
import { imageKeyList } from './keys.js';
import { runScript } from './keys.js';
import { clearRepository } from './scripts/clear-repository.js';
import { linkLayer } from './scripts/link-layer.js';
import { testLimits } from './limits.test-fixture.js';

const LIMITS = testLimits();
const REGISTRY = '000000000000';
const DIGEST = `sha256:${'c'.repeat(64)}`;
const LINK = { size: 1, uploadId: 'u1', linkedAt: 0 };

function repository(repositoryName: string) {
  return {
    repositoryName,
    registryId: REGISTRY,
    createdAt: 0,
    imageTagMutability: 'MUTABLE' as const,
    imageScanningConfiguration: { scanOnPush: false },
    encryptionConfiguration: { encryptionType: 'AES256' },
  };
}

/**
 * The operations that span two Redis Cluster slots run as per-slot steps. Here, on a real Redis,
 * the states a crash or a race between the steps leaves behind, and what a retry makes of them.
 */
describe('per-slot steps of the operations that span two slots', () => {
  const prefix = `ps${randomBytes(4).toString('hex')}`;
  let redis: Redis;
  let stores: Stores;
  beforeAll(() => {
    redis = new Redis(inject('redisUrl'));
    stores = createStores(redis, prefix, LIMITS);
  });
  afterAll(() => {
    redis.disconnect();
  });

  it('DeleteRepository stopped after emptying the repository leaves it listed and empty; a retry deletes it', async () => {
    const name = 'delete/crash';
    await stores.repositories.create(repository(name));
    await stores.layers.link(name, REGISTRY, DIGEST, LINK);
    const slot = [
      stores.keys.layers(name),
      ...imageKeyList(stores.keys.images(name)),
      stores.keys.images(name).pulls,
      stores.keys.repositoryClaim(name),
    ];
    // Step 1 only, as a process that died before step 2.
    await runScript(redis, clearRepository, slot, ['1']);
    expect(await stores.repositories.get(name)).toBeDefined();
    expect(await stores.layers.get(name, DIGEST)).toBeUndefined();

    await stores.repositories.delete(name, REGISTRY, false);
    expect(await stores.repositories.get(name)).toBeUndefined();
  });

  it('DeleteRepository without force refuses a repository with layers before touching anything', async () => {
    const name = 'delete/not-empty';
    await stores.repositories.create(repository(name));
    await stores.layers.link(name, REGISTRY, DIGEST, LINK);
    await expect(stores.repositories.delete(name, REGISTRY, false)).rejects.toMatchObject({
      code: 'REPOSITORY_NOT_EMPTY',
    });
    expect(await stores.repositories.get(name)).toBeDefined();
    expect(await stores.layers.get(name, DIGEST)).toEqual(LINK);
  });

  it('a link racing DeleteRepository between its checks is dropped, and the upload hears RepositoryNotFound', async () => {
    const name = 'link/race';
    await stores.repositories.create(repository(name));
    const linkSha = createHash('sha1').update(linkLayer.lua).digest('hex');
    // The delete runs right after the link script, before the link's second check.
    const racing = new Proxy(redis, {
      get(target, property, receiver) {
        const value = Reflect.get(target, property, receiver) as unknown;
        if (property === 'evalsha') {
          return async (sha: string, ...rest: unknown[]) => {
            const reply = await (value as (...args: unknown[]) => Promise<unknown>).call(target, sha, ...rest);
            if (sha === linkSha) await stores.repositories.delete(name, REGISTRY, true);
            return reply;
          };
        }
        return typeof value === 'function' ? value.bind(target) : value;
      },
    });
    const raced = createStores(racing, prefix, LIMITS);
    await expect(raced.layers.link(name, REGISTRY, DIGEST, LINK)).rejects.toMatchObject({
      constructor: RefusedError,
      code: 'REPOSITORY_NOT_FOUND',
    });
    expect(await redis.exists(stores.keys.layers(name))).toBe(0);
  });

  it("a namesake repository starts empty, even where a link's process died before its second check", async () => {
    const name = 'create/leftover';
    await stores.repositories.create(repository(name));
    await stores.repositories.delete(name, REGISTRY, true);
    // What a link that passed its first check before the delete leaves when its process dies.
    await runScript(redis, linkLayer, [stores.keys.layers(name)], [DIGEST, JSON.stringify(LINK), LINK.uploadId]);

    await stores.repositories.create(repository(name));
    expect(await stores.layers.get(name, DIGEST)).toBeUndefined();
  });

  it('a completion whose layer the repository already has is refused after the upload checks, and a retried completion joins', async () => {
    const name = 'complete/exists';
    await stores.repositories.create(repository(name));
    const upload = await stores.uploads.initiate(name, REGISTRY);
    const ref = { uploadId: upload.uploadId, repositoryName: name, registryId: REGISTRY };
    const claim = await stores.uploads.claimPart(ref, 0, 0, 1);
    await stores.uploads.commitPart(
      ref,
      claim,
      { offset: 0, length: 1, checksum: 'crc32c:00000000', partNumber: 1, receipt: '' },
      '',
    );
    const other = `sha256:${'d'.repeat(64)}`;
    expect(await stores.uploads.beginCompletion(ref, { jobId: 'j', layerDigests: [other] })).toEqual({
      outcome: 'queued',
    });
    // The layer is linked (by this upload's worker) before the client's retry of the completion.
    await stores.layers.link(name, REGISTRY, other, { ...LINK, uploadId: upload.uploadId });
    expect(await stores.uploads.beginCompletion(ref, { jobId: 'j', layerDigests: [other] })).toEqual({
      outcome: 'already',
      status: 'queued',
    });

    await stores.layers.link(name, REGISTRY, DIGEST, LINK);
    const second = await stores.uploads.initiate(name, REGISTRY);
    const secondRef = { ...ref, uploadId: second.uploadId };
    const secondClaim = await stores.uploads.claimPart(secondRef, 0, 0, 1);
    const part = { offset: 0, length: 1, checksum: 'crc32c:00000000', partNumber: 1, receipt: '' };
    await stores.uploads.commitPart(secondRef, secondClaim, part, '');
    await expect(
      stores.uploads.beginCompletion(secondRef, { jobId: 'k', layerDigests: [DIGEST] }),
    ).rejects.toMatchObject({ name: 'RefusedError', code: 'LAYER_EXISTS', facts: { layerDigest: DIGEST } });
    expect((await stores.uploads.get(second.uploadId))?.status).toBe('uploading');
  });
});

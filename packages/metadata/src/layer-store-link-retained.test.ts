import { randomBytes } from 'node:crypto';
import { RefusedError } from '@longshore/domain';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { createStores, type Stores } from './create-stores.js';
import { linkRetainedLayer, type LayerReferenceDeps } from './layer-store.js';
import { testLimits } from './limits.test-fixture.js';

const LIMITS = testLimits();
const REGISTRY = '000000000000';

/**
 * The one order in which a repository comes to name a blob (retain → link → retain again), on a
 * real Redis, with a garbage collection's mark and sweep run at each point between the steps.
 */
describe('linkRetainedLayer', () => {
  const prefix = `lr${randomBytes(4).toString('hex')}`;
  let redis: Redis;
  let stores: Stores;
  beforeAll(() => {
    redis = new Redis(inject('redisUrl'));
    stores = createStores(redis, prefix, LIMITS);
  });
  afterAll(() => {
    redis.disconnect();
  });

  let n = 0;
  /** A fresh repository and an indexed blob nothing links yet. */
  async function fixture() {
    n += 1;
    const repositoryName = `repo/${n}`;
    await stores.repositories.create({
      repositoryName,
      registryId: REGISTRY,
      createdAt: 0,
      imageTagMutability: 'MUTABLE',
      imageScanningConfiguration: { scanOnPush: false },
      encryptionConfiguration: { encryptionType: 'AES256' },
    });
    const digest = `sha256:${randomBytes(32).toString('hex')}`;
    const location = `blobs/${digest}`;
    expect(await stores.blobs.claim(digest, location)).toBe(location);
    const link = { size: 4, uploadId: `u${n}`, linkedAt: 1 };
    return { repositoryName, digest, location, link };
  }
  const isMarked = async (digest: string) => (await redis.exists(stores.keys.blobMark(digest))) === 1;

  it('clears a mark set before it and links the layer', async () => {
    const { repositoryName, digest, link } = await fixture();
    expect(await stores.blobs.mark(digest, '1:aa')).toBe('1:aa');
    expect(await linkRetainedLayer(stores, repositoryName, REGISTRY, digest, link)).toBe(true);
    expect(await isMarked(digest)).toBe(false);
    expect(await stores.layers.get(repositoryName, digest)).toEqual(link);
    expect(await stores.blobs.sweep(digest, '1:aa')).toBeUndefined();
  });

  it('links nothing when the blob is not indexed, or while a collection deletes it', async () => {
    const { repositoryName, link } = await fixture();
    const unknown = `sha256:${randomBytes(32).toString('hex')}`;
    expect(await linkRetainedLayer(stores, repositoryName, REGISTRY, unknown, link)).toBe(false);
    expect(await stores.layers.get(repositoryName, unknown)).toBeUndefined();

    const { digest, location } = await fixture();
    await stores.blobs.mark(digest, '1:bb');
    expect(await stores.blobs.sweep(digest, '1:bb')).toBe(location);
    expect(await linkRetainedLayer(stores, repositoryName, REGISTRY, digest, link)).toBe(false);
    expect(await stores.layers.get(repositoryName, digest)).toBeUndefined();
  });

  it('a mark set between the retain and the link is cleared by the second retain: the sweep keeps the blob', async () => {
    const { repositoryName, digest, location, link } = await fixture();
    const deps: LayerReferenceDeps = {
      blobs: stores.blobs,
      layers: {
        link: async (...args) => {
          await stores.blobs.mark(digest, '1:cc');
          return stores.layers.link(...args);
        },
        unlink: (name, d) => stores.layers.unlink(name, d),
      },
    };
    expect(await linkRetainedLayer(deps, repositoryName, REGISTRY, digest, link)).toBe(true);
    expect(await stores.blobs.sweep(digest, '1:cc')).toBeUndefined();
    expect(await stores.blobs.locate(digest)).toBe(location);
    expect(await stores.layers.get(repositoryName, digest)).toEqual(link);
  });

  it('a collection that swept between the retain and the link makes it take the link back', async () => {
    const { repositoryName, digest, location, link } = await fixture();
    const deps: LayerReferenceDeps = {
      blobs: stores.blobs,
      layers: {
        link: async (...args) => {
          await stores.blobs.mark(digest, '1:dd');
          expect(await stores.blobs.sweep(digest, '1:dd')).toBe(location);
          return stores.layers.link(...args);
        },
        unlink: (name, d) => stores.layers.unlink(name, d),
      },
    };
    expect(await linkRetainedLayer(deps, repositoryName, REGISTRY, digest, link)).toBe(false);
    expect(await stores.layers.get(repositoryName, digest)).toBeUndefined();
  });

  it("another upload's link of the same layer is refused and left as it was", async () => {
    const { repositoryName, digest, link } = await fixture();
    expect(await linkRetainedLayer(stores, repositoryName, REGISTRY, digest, link)).toBe(true);
    expect(await linkRetainedLayer(stores, repositoryName, REGISTRY, digest, link)).toBe(true);
    await expect(
      linkRetainedLayer(stores, repositoryName, REGISTRY, digest, { ...link, uploadId: 'other' }),
    ).rejects.toMatchObject({ constructor: RefusedError, code: 'LAYER_EXISTS' });
    expect(await stores.layers.get(repositoryName, digest)).toEqual(link);
  });
});

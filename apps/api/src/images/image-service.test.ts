import { createHash, randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import {
  ImageDigestDoesNotMatchException,
  ImageTagAlreadyExistsException,
  RefusedError,
  mediaTypes,
} from '@longshore/domain';
import { LayerStore, createStores, type Stores } from '@longshore/metadata';
import { RepositoryService } from '../repositories/repository-service.js';
import { ImageService } from './image-service.js';

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

/** The image service on a real Redis; blobs are linked into repositories as finished uploads link them. */
describe('ImageService on a real Redis', () => {
  const prefix = `unit${randomBytes(4).toString('hex')}`;
  let redis: Redis;
  let stores: Stores;
  let images: ImageService;
  let repositories: RepositoryService;
  let seq = 0;

  beforeAll(() => {
    redis = new Redis(inject('redisUrl'), { lazyConnect: false });
    stores = createStores(redis, prefix, LIMITS);
    repositories = new RepositoryService({ repositories: stores.repositories, registryId: REGISTRY });
    images = new ImageService({
      repositories,
      repositoryStore: stores.repositories,
      images: stores.images,
      layers: stores.layers,
      blobs: stores.blobs,
      blobReferences: stores.blobReferences,
      registryId: REGISTRY,
      createRepositoryOnPush: true,
    });
  });
  afterAll(async () => {
    const keys = await redis.keys(`${prefix}:*`);
    if (keys.length > 0) await redis.del(...keys);
    await redis.quit();
  });

  /** A manifest whose config and layer are linked into `repositoryName` (created when missing). */
  async function manifest(repositoryName: string, extra: Record<string, unknown> = {}): Promise<Buffer> {
    const blobs = [randomBytes(16), randomBytes(32)];
    await repositories.getOrCreate(repositoryName);
    for (const blob of blobs) {
      await stores.layers.link(repositoryName, REGISTRY, sha(blob), {
        size: blob.length,
        uploadId: randomBytes(8).toString('hex'),
        linkedAt: Date.now(),
      });
    }
    const descriptor = (mediaType: string, blob: Buffer) => ({ mediaType, digest: sha(blob), size: blob.length });
    return Buffer.from(
      JSON.stringify({
        schemaVersion: 2,
        mediaType: mediaTypes.ociManifest,
        config: descriptor('application/vnd.oci.image.config.v1+json', blobs[0]!),
        layers: [descriptor('application/vnd.oci.image.layer.v1.tar', blobs[1]!)],
        ...extra,
      }),
    );
  }

  const name = () => {
    seq += 1;
    return `unit/images${seq}`;
  };

  it('lists tags in byte order, n at a time after last, and says when more follow', async () => {
    const repositoryName = name();
    const body = await manifest(repositoryName);
    const tags = ['b', 'a', 'B', '_z', 'a.1', 'a-1', '9', 'aa'];
    for (const tag of tags) await images.putManifest(repositoryName, tag, body, mediaTypes.ociManifest);
    const sorted = [...tags].sort((x, y) => Buffer.compare(Buffer.from(x), Buffer.from(y)));

    const seen: string[] = [];
    let last: string | undefined;
    for (;;) {
      const page = await images.listTags(repositoryName, 3, last);
      seen.push(...page.tags);
      if (!page.next) break;
      expect(page.tags).toHaveLength(3);
      last = page.next;
    }
    expect(seen).toEqual(sorted);
    expect((await images.listTags(repositoryName)).tags).toEqual(sorted);
    expect((await images.listTags(repositoryName, 0)).tags).toEqual([]);
    expect((await images.listTags(repositoryName, 100, 'b')).tags).toEqual([]);
  });

  it('concurrent pushes moving one tag leave it on exactly one image, and every image index consistent', async () => {
    const repositoryName = name();
    const bodies = await Promise.all(Array.from({ length: 8 }, () => manifest(repositoryName)));
    const results = await Promise.all(
      bodies.map((body) => images.putManifest(repositoryName, 'latest', body, mediaTypes.ociManifest)),
    );
    const winner = await images.headManifest(repositoryName, 'latest');
    expect(results.map((r) => r.digest)).toContain(winner.digest);
    const tagged = await stores.images.tagsOf(
      repositoryName,
      results.map((r) => r.digest),
    );
    expect(tagged.filter((tags) => tags.includes('latest'))).toHaveLength(1);
    expect(tagged[results.findIndex((r) => r.digest === winner.digest)]).toEqual(['latest']);
  });

  it('of concurrent PutImage calls for one immutable tag, exactly one wins', async () => {
    const repositoryName = name();
    const bodies = await Promise.all(Array.from({ length: 6 }, () => manifest(repositoryName)));
    await repositories.setTagMutability(repositoryName, 'IMMUTABLE');
    const outcomes = await Promise.allSettled(
      bodies.map((body) => images.putImage({ repositoryName, imageManifest: body.toString(), imageTag: 'release' })),
    );
    const won = outcomes.filter((o) => o.status === 'fulfilled');
    const lost = outcomes.filter((o) => o.status === 'rejected');
    expect(won).toHaveLength(1);
    for (const o of lost) expect((o as PromiseRejectedResult).reason).toBeInstanceOf(ImageTagAlreadyExistsException);
    const head = await images.headManifest(repositoryName, 'release');
    expect(head.digest).toBe(
      (won[0] as PromiseFulfilledResult<{ imageId: { imageDigest: string } }>).value.imageId.imageDigest,
    );
  });

  it('indexes referrers by subject, filters by artifact type, and forgets a deleted referrer', async () => {
    const repositoryName = name();
    const subject = await images.putManifest(repositoryName, 'app', await manifest(repositoryName), undefined);
    const ref = (artifactType: string) =>
      manifest(repositoryName, {
        artifactType,
        subject: { mediaType: mediaTypes.ociManifest, digest: subject.digest, size: subject.size },
      });
    const sbomBody = await ref('application/sbom');
    const sig = await images.putManifest(repositoryName, 'sig', await ref('application/signature'), undefined);
    // By digest, the reference must be the manifest's own digest.
    await expect(images.putManifest(repositoryName, sha(randomBytes(4)), sbomBody, undefined)).rejects.toBeInstanceOf(
      ImageDigestDoesNotMatchException,
    );
    const sbomPut = await images.putManifest(repositoryName, sha(sbomBody), sbomBody, undefined);
    expect(sbomPut.subject).toBe(subject.digest);

    const all = await images.referrers(repositoryName, subject.digest);
    expect(all.manifests.map((m) => m.digest).sort()).toEqual([sig.digest, sbomPut.digest].sort());
    expect(all.filtersApplied).toEqual([]);
    const filtered = await images.referrers(repositoryName, subject.digest, 'application/signature');
    expect(filtered).toEqual({
      manifests: [
        {
          mediaType: mediaTypes.ociManifest,
          digest: sig.digest,
          size: sig.size,
          artifactType: 'application/signature',
        },
      ],
      filtersApplied: ['artifactType'],
    });

    await images.deleteManifest(repositoryName, sig.digest);
    expect((await images.referrers(repositoryName, subject.digest)).manifests.map((m) => m.digest)).toEqual([
      sbomPut.digest,
    ]);
    expect((await images.listTags(repositoryName)).tags).toEqual(['app']);
  });

  it('a push that races a forced DeleteRepository leaves nothing behind for a namesake repository', async () => {
    const repositoryName = name();
    const body = await manifest(repositoryName);
    // The layer store the push consults answers, then the repository is deleted, as a concurrent
    // DeleteRepository --force landing between the push's checks and its write would.
    class RacingLayerStore extends LayerStore {
      override async getMany(repository: string, digests: string[]) {
        const links = await super.getMany(repository, digests);
        await repositories.delete(repository, true);
        return links;
      }
    }
    const racing = new ImageService({
      repositories,
      repositoryStore: stores.repositories,
      images: stores.images,
      layers: new RacingLayerStore(redis, stores.keys),
      blobs: stores.blobs,
      blobReferences: stores.blobReferences,
      registryId: REGISTRY,
      createRepositoryOnPush: false,
    });
    await expect(racing.putManifest(repositoryName, 'v1', body, undefined)).rejects.toMatchObject({
      constructor: RefusedError,
      code: 'REPOSITORY_NOT_FOUND',
    });

    await repositories.getOrCreate(repositoryName);
    expect((await images.listTags(repositoryName)).tags).toEqual([]);
    expect(await stores.images.count(repositoryName)).toBe(0);
  });
});

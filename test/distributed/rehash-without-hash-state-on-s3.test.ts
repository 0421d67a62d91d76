import { randomBytes } from 'node:crypto';
import { ListObjectsV2Command } from '@aws-sdk/client-s3';
import {
  BatchCheckLayerAvailabilityCommand,
  CompleteLayerUploadCommand,
  CreateRepositoryCommand,
  InvalidLayerException,
} from '@aws-sdk/client-ecr';
import type { RedisClient } from '@longshore/queue';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { downloadedDigest } from '../support/download-layer.js';
import { MiB, randomLayer, uploadParts } from '../support/layer-data.js';
import { type Longshore, startLongshore } from '../support/longshore-harness.js';
import { createS3ClusterPlace, type S3ClusterPlace } from '../support/test-backend.js';

// The carried hash state of an upload can be missing at completion (the API that held it died,
// the state expired): finalization then re-hashes the stored bytes. On S3, parts of 5 MiB and
// more went straight into the multipart upload and cannot be read back before completion, so
// the worker publishes the blob first and hashes what it published.

describe('finalization without the carried hash state, on S3', () => {
  let longshore: Longshore;
  let redis: RedisClient;
  let place: S3ClusterPlace;
  beforeAll(async () => {
    place = await createS3ClusterPlace(`rehash-${randomBytes(6).toString('hex')}`);
    longshore = await startLongshore({
      env: {
        ...place.env,
        // ECR's smallest part: low enough for parts the S3 driver stages (below S3's 5 MiB).
        MIN_PART_SIZE: String(1 * MiB),
      },
    });
    redis = longshore.connectRedis({ name: 'rehash-test' });
  });
  afterAll(async () => {
    await redis?.quit();
    await longshore?.close();
    await place?.remove();
  });

  /** Uploads `bytes` in parts of `partSize` and deletes the upload's carried hash state. */
  async function uploadWithoutHashState(repositoryName: string, bytes: Buffer, partSize: number): Promise<string> {
    const uploadId = await uploadParts(longshore.ecr, repositoryName, bytes, partSize);
    expect(await redis.hexists(longshore.keys.upload(uploadId), 'hashState')).toBe(1);
    await redis.hdel(longshore.keys.upload(uploadId), 'hashState');
    return uploadId;
  }

  const complete = (repositoryName: string, uploadId: string, digest: string) =>
    longshore.ecr.send(new CompleteLayerUploadCommand({ repositoryName, uploadId, layerDigests: [digest] }));

  it.each([
    ['parts that went straight into the multipart upload', 5 * MiB],
    ['staged parts before a direct one', 2 * MiB],
  ])('completes with %s, reaching the right digest', async (_title, partSize) => {
    const repositoryName = `rehash/${partSize}`;
    await longshore.ecr.send(new CreateRepositoryCommand({ repositoryName }));
    const layer = randomLayer(11 * MiB + 5);
    const uploadId = await uploadWithoutHashState(repositoryName, layer.bytes, partSize);

    const completed = await complete(repositoryName, uploadId, layer.digest);
    expect(completed.layerDigest).toBe(layer.digest);
    const download = await downloadedDigest(longshore.ecr, (url) => longshore.fetch(url), repositoryName, layer.digest);
    expect(download).toBe(layer.digest);
  });

  it('rejects a layer whose re-hashed bytes match none of the given digests, and links nothing', async () => {
    const repositoryName = 'rehash/wrong';
    await longshore.ecr.send(new CreateRepositoryCommand({ repositoryName }));
    const layer = randomLayer(6 * MiB);
    const claimed = randomLayer(10).digest;
    const uploadId = await uploadWithoutHashState(repositoryName, layer.bytes, 5 * MiB);

    const error = await complete(repositoryName, uploadId, claimed).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(InvalidLayerException);
    expect((error as Error).message).toContain(layer.digest);
    const availability = await longshore.ecr.send(
      new BatchCheckLayerAvailabilityCommand({ repositoryName, layerDigests: [layer.digest, claimed] }),
    );
    expect(availability.failures?.map((failure) => failure.failureCode)).toEqual([
      'MissingLayerDigest',
      'MissingLayerDigest',
    ]);
    // The blob published to hash it was deleted with the rejection.
    const listed = await place.client.send(
      new ListObjectsV2Command({ Bucket: place.bucket, Prefix: `registry/blobs/${uploadId}` }),
    );
    expect(listed.KeyCount).toBe(0);
  });
});

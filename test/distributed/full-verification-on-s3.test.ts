import { randomBytes } from 'node:crypto';
import { CreateBucketCommand, ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3';
import { CreateRepositoryCommand, GetDownloadUrlForLayerCommand } from '@aws-sdk/client-ecr';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { MiB, pushLayer, randomLayer } from '../support/layer-data.js';
import { type Longshore, startLongshore } from '../support/longshore-harness.js';

// VERIFY_MODE=full on S3: parts of 5 MiB and more go straight into the multipart upload and
// cannot be read back before completion, so the worker re-hashes the published blob instead.
const s3 = inject('s3');
const bucket = `full-verify-${randomBytes(6).toString('hex')}`;

describe('VERIFY_MODE=full with S3 storage', () => {
  let longshore: Longshore;
  let client: S3Client;
  beforeAll(async () => {
    client = new S3Client({
      endpoint: s3.endpoint,
      region: s3.region,
      forcePathStyle: true,
      credentials: { accessKeyId: s3.accessKeyId, secretAccessKey: s3.secretAccessKey },
    });
    await client.send(new CreateBucketCommand({ Bucket: bucket }));
    longshore = await startLongshore({
      env: {
        REDIS_URL: inject('redisClusterUrl'),
        STORAGE: 's3',
        S3_ENDPOINT: s3.endpoint,
        S3_BUCKET: bucket,
        S3_REGION: s3.region,
        S3_PREFIX: 'registry',
        S3_FORCE_PATH_STYLE: 'true',
        AWS_ACCESS_KEY_ID: s3.accessKeyId,
        AWS_SECRET_ACCESS_KEY: s3.secretAccessKey,
        VERIFY_MODE: 'full',
      },
    });
  });
  afterAll(async () => {
    await longshore?.close();
    client?.destroy();
  });

  it('completes a layer whose parts went straight into the multipart upload, and serves it back', async () => {
    const repositoryName = 'e2e/full-verify';
    await longshore.ecr.send(new CreateRepositoryCommand({ repositoryName }));
    const layer = randomLayer(12 * MiB);
    const completed = await pushLayer(longshore.ecr, repositoryName, layer, 5 * MiB);
    expect(completed.layerDigest).toBe(layer.digest);

    const { downloadUrl } = await longshore.ecr.send(
      new GetDownloadUrlForLayerCommand({ repositoryName, layerDigest: layer.digest }),
    );
    const download = await longshore.fetch(downloadUrl!);
    expect(download.status).toBe(200);
    expect(Buffer.from(await download.arrayBuffer()).equals(layer.bytes)).toBe(true);
    const listed = await client.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: 'registry/blobs/' }));
    expect(listed.Contents?.map((object) => object.Size)).toEqual([12 * MiB]);
  });
});

import { randomBytes } from 'node:crypto';
import { CreateBucketCommand, ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3';
import {
  BatchCheckLayerAvailabilityCommand,
  CreateRepositoryCommand,
  GetDownloadUrlForLayerCommand,
} from '@aws-sdk/client-ecr';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { MiB, pushLayer, randomLayer } from '../support/layer-data.js';
import { type Longshore, startLongshore } from '../support/longshore-harness.js';

// The built API and worker with STORAGE=s3 on the private Swift and REDIS_URL naming the private
// Redis Cluster: nothing shared but the object store and the cluster.
const s3 = inject('s3');
const bucket = `e2e-${randomBytes(6).toString('hex')}`;

describe('pushing through the AWS SDK with S3 storage and a Redis Cluster', () => {
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
      },
    });
  });
  afterAll(async () => {
    await longshore?.close();
    client?.destroy();
  });

  it('pushes a 12 MiB layer in 5 MiB parts into the bucket and serves it back', async () => {
    const repositoryName = 'e2e/s3';
    await longshore.ecr.send(new CreateRepositoryCommand({ repositoryName }));
    const layer = randomLayer(12 * MiB);
    const completed = await pushLayer(longshore.ecr, repositoryName, layer, 5 * MiB);
    expect(completed.layerDigest).toBe(layer.digest);

    const availability = await longshore.ecr.send(
      new BatchCheckLayerAvailabilityCommand({ repositoryName, layerDigests: [layer.digest] }),
    );
    expect(availability.layers).toEqual([
      { layerDigest: layer.digest, layerAvailability: 'AVAILABLE', layerSize: 12 * MiB },
    ]);
    const { downloadUrl } = await longshore.ecr.send(
      new GetDownloadUrlForLayerCommand({ repositoryName, layerDigest: layer.digest }),
    );
    const download = await longshore.fetch(downloadUrl!);
    expect(download.status).toBe(200);
    expect(Buffer.from(await download.arrayBuffer()).equals(layer.bytes)).toBe(true);

    // The layer is one object in the bucket, under the configured prefix; no DATA_DIR involved.
    const listed = await client.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: 'registry/blobs/' }));
    expect(listed.Contents?.map((object) => object.Size)).toEqual([12 * MiB]);
  });

  it('redirects layer downloads and /v2 blob GETs to a presigned URL of the store (S3_REDIRECT_DOWNLOADS)', async () => {
    const repositoryName = 'e2e/s3-redirect';
    await longshore.ecr.send(new CreateRepositoryCommand({ repositoryName }));
    const layer = randomLayer(6 * MiB);
    await pushLayer(longshore.ecr, repositoryName, layer, 5 * MiB);
    const { downloadUrl } = await longshore.ecr.send(
      new GetDownloadUrlForLayerCommand({ repositoryName, layerDigest: layer.digest }),
    );
    for (const url of [downloadUrl!, `/v2/${repositoryName}/blobs/${layer.digest}`]) {
      const answer = await longshore.fetch(url, { redirect: 'manual' });
      expect(answer.status, url).toBe(307);
      expect(answer.headers.get('docker-content-digest')).toBe(layer.digest);
      const location = answer.headers.get('location')!;
      expect(new URL(location).origin).toBe(new URL(s3.endpoint).origin);
      // The store serves the bytes itself, a Range too, with no credentials but the presigned URL's.
      const whole = await fetch(location);
      expect(whole.status).toBe(200);
      expect(Buffer.from(await whole.arrayBuffer()).equals(layer.bytes)).toBe(true);
      const ranged = await fetch(location, { headers: { Range: 'bytes=100-199' } });
      expect(ranged.status).toBe(206);
      expect(Buffer.from(await ranged.arrayBuffer()).equals(layer.bytes.subarray(100, 200))).toBe(true);
    }
    // HEAD still answers from Longshore itself, with the size.
    const head = await longshore.fetch(`/v2/${repositoryName}/blobs/${layer.digest}`, { method: 'HEAD' });
    expect(head.status).toBe(200);
    expect(head.headers.get('content-length')).toBe(String(6 * MiB));
  });
});

import { randomBytes } from 'node:crypto';
import { ListObjectsV2Command } from '@aws-sdk/client-s3';
import { CreateRepositoryCommand, GetDownloadUrlForLayerCommand } from '@aws-sdk/client-ecr';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MiB, pushLayer, randomLayer } from '../support/layer-data.js';
import { type Longshore, startLongshore } from '../support/longshore-harness.js';
import { createS3ClusterPlace, type S3ClusterPlace } from '../support/test-backend.js';

// VERIFY_MODE=full on S3: parts of 5 MiB and more go straight into the multipart upload and
// cannot be read back before completion, so the worker re-hashes the published blob instead.

describe('VERIFY_MODE=full with S3 storage', () => {
  let longshore: Longshore;
  let place: S3ClusterPlace;
  beforeAll(async () => {
    place = await createS3ClusterPlace(`full-verify-${randomBytes(6).toString('hex')}`);
    longshore = await startLongshore({
      env: {
        ...place.env,
        VERIFY_MODE: 'full',
      },
    });
  });
  afterAll(async () => {
    await longshore?.close();
    await place?.remove();
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
    const listed = await place.client.send(
      new ListObjectsV2Command({ Bucket: place.bucket, Prefix: 'registry/blobs/' }),
    );
    expect(listed.Contents?.map((object) => object.Size)).toEqual([12 * MiB]);
  });
});

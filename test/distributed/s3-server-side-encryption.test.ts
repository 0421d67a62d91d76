import {
  BatchGetImageCommand,
  CreateRepositoryCommand,
  type EncryptionConfiguration,
  PutImageCommand,
} from '@aws-sdk/client-ecr';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { downloadedDigest } from '../support/download-layer.js';
import { imageManifest, OCI_MANIFEST, pushImageBlobs } from '../support/image-data.js';
import { digestOf, MiB, randomLayer } from '../support/layer-data.js';
import { type Longshore, startLongshore } from '../support/longshore-harness.js';
import { completeBlobUpload } from '../support/oci-push.js';
import { type RecordedS3Request, type RecordingS3Proxy, startRecordingS3Proxy } from '../support/recording-s3-proxy.js';
import { createS3ClusterPlace, type S3ClusterPlace } from '../support/test-backend.js';

// ECR's encryptionConfiguration on the S3 store: every object Longshore writes for a repository
// created with one carries that server-side encryption. Swift's s3api cannot encrypt, so a
// recording proxy in front of it notes each request's SSE headers, takes them off and signs the
// request again; Longshore (API and worker) reaches the store only through it.
const s3 = inject('s3');
const KMS_KEY = 'arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab';

/** The requests that create an object: PutObject (and CopyObject) and CreateMultipartUpload. */
const objectWrites = (requests: readonly RecordedS3Request[]) =>
  requests.filter(
    (r) =>
      !r.key.includes('/readyz/') &&
      ((r.method === 'PUT' && !/(^|&)partNumber=/.test(r.query)) ||
        (r.method === 'POST' && /(^|&)uploads(=|&|$)/.test(r.query))),
  );

describe('encryptionConfiguration on the S3 store: server-side encryption of every object written', () => {
  let proxy: RecordingS3Proxy;
  let place: S3ClusterPlace;
  let longshore: Longshore;

  beforeAll(async () => {
    place = await createS3ClusterPlace('sse');
    proxy = await startRecordingS3Proxy({
      target: s3.endpoint,
      region: s3.region,
      credentials: { accessKeyId: s3.accessKeyId, secretAccessKey: s3.secretAccessKey },
    });
    longshore = await startLongshore({ env: { ...place.env, S3_ENDPOINT: proxy.endpoint } });
  });
  afterAll(async () => {
    await longshore?.close();
    await proxy?.close();
    await place?.remove();
  });

  /**
   * Creates `repositoryName`, pushes one image through the ECR door (a 6 MiB layer: a part
   * straight into the multipart upload, then a small staged one) and one through /v2 (a small
   * chunk before a large one: assembled through an intermediate object), tags both, and returns
   * the object writes the store saw meanwhile. The pushed layers read back intact.
   */
  async function pushBothDoors(repositoryName: string, encryptionConfiguration?: EncryptionConfiguration) {
    const from = proxy.requests.length;
    await longshore.ecr.send(
      new CreateRepositoryCommand({ repositoryName, ...(encryptionConfiguration ? { encryptionConfiguration } : {}) }),
    );

    const ecrImage = await pushImageBlobs(longshore.ecr, repositoryName, { layerSizes: [6 * MiB] });
    await longshore.ecr.send(
      new PutImageCommand({ repositoryName, imageManifest: ecrImage.manifest, imageTag: 'ecr' }),
    );

    const config = randomLayer(256);
    const layer = randomLayer(5 * MiB + 1024);
    for (const blob of [config, layer]) {
      const started = await longshore.fetch(`/v2/${repositoryName}/blobs/uploads/`, { method: 'POST' });
      expect(started.status).toBe(202);
      let location = started.headers.get('location')!;
      const cut = Math.min(1024, blob.bytes.length);
      for (const [first, last] of [
        [0, cut - 1],
        [cut, blob.bytes.length - 1],
      ] as const) {
        if (first > last) continue;
        const patched = await longshore.fetch(location, {
          method: 'PATCH',
          headers: { 'content-type': 'application/octet-stream', 'content-range': `${first}-${last}` },
          body: blob.bytes.subarray(first, last + 1),
        });
        expect(patched.status).toBe(202);
        location = patched.headers.get('location')!;
      }
      const completed = await completeBlobUpload(longshore, { uploadId: '', location }, blob.digest);
      expect(completed.status).toBe(201);
    }
    const manifest = imageManifest(config, [layer]);
    const put = await longshore.fetch(`/v2/${repositoryName}/manifests/v2`, {
      method: 'PUT',
      headers: { 'content-type': OCI_MANIFEST },
      body: manifest,
    });
    expect(put.status).toBe(201);

    // Both images read back through the store, whatever it was sent.
    const fetched = await longshore.ecr.send(
      new BatchGetImageCommand({ repositoryName, imageIds: [{ imageTag: 'ecr' }, { imageTag: 'v2' }] }),
    );
    expect(fetched.images?.map((i) => i.imageId?.imageDigest).sort()).toEqual(
      [ecrImage.digest, digestOf(Buffer.from(manifest))].sort(),
    );
    for (const digest of [ecrImage.layers[0]!.digest, layer.digest]) {
      expect(await downloadedDigest(longshore.ecr, (url) => longshore.fetch(url), repositoryName, digest)).toBe(digest);
    }
    return objectWrites(proxy.requests.slice(from));
  }

  /** Every kind of object the pushes wrote, so an assertion over all of them covers each path. */
  function expectEveryKind(writes: RecordedS3Request[]) {
    const kinds = new Set(
      writes.map((w) =>
        w.method === 'POST'
          ? `create-multipart ${w.key.endsWith('.assembled') ? 'assembled' : 'blob'}`
          : `put ${/\/repositories\/[^/]+\/([^/]+)/.exec(w.key)?.[1] ?? w.key.split('/')[1]}`,
      ),
    );
    expect([...kinds].sort()).toEqual(
      [
        'create-multipart assembled', // /v2: small chunk then a large one, assembled at completion
        'create-multipart blob', // every upload session
        'put images', // image records (manifests)
        'put repository.json', // the repository record
        'put tags', // tag records
        'put uploads', // staged small parts
      ].sort(),
    );
  }

  it('AES256: every object written for the repository is sent with ServerSideEncryption AES256', async () => {
    const writes = await pushBothDoors('sse/aes256', { encryptionType: 'AES256' });
    expectEveryKind(writes);
    for (const write of writes) {
      expect({ key: write.key, sse: write.sse }).toEqual({
        key: write.key,
        sse: { 'x-amz-server-side-encryption': 'AES256' },
      });
    }
  });

  it('KMS with a key: every object is sent with aws:kms and the key id', async () => {
    const writes = await pushBothDoors('sse/kms', { encryptionType: 'KMS', kmsKey: KMS_KEY });
    expectEveryKind(writes);
    for (const write of writes) {
      expect({ key: write.key, sse: write.sse }).toEqual({
        key: write.key,
        sse: { 'x-amz-server-side-encryption': 'aws:kms', 'x-amz-server-side-encryption-aws-kms-key-id': KMS_KEY },
      });
    }
  });

  it('no encryptionConfiguration (reported as AES256, as ECR does): no SSE header, the bucket default applies', async () => {
    const writes = await pushBothDoors('sse/default');
    expectEveryKind(writes);
    expect(writes.filter((w) => Object.keys(w.sse).length > 0)).toEqual([]);
  });
});

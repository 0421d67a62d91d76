import { createHash } from 'node:crypto';
import { BatchGetImageCommand, CreateRepositoryCommand, PutImageCommand } from '@aws-sdk/client-ecr';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { OCI_CONFIG, OCI_INDEX, OCI_LAYER, OCI_MANIFEST, imageManifest, indexManifest } from '../support/image-data.js';
import { digestOf, randomLayer } from '../support/layer-data.js';
import { startLongshore, type Longshore } from '../support/longshore-harness.js';
import { completeBlobUpload, pushBlob } from '../support/oci-push.js';

const ACCEPT_ALL = [OCI_MANIFEST, OCI_INDEX].join(', ');
const NON_DISTRIBUTABLE = 'application/vnd.oci.image.layer.nondistributable.v1.tar+gzip';
const DOCKER_FOREIGN = 'application/vnd.docker.image.rootfs.foreign.diff.tar.gzip';

interface OciErrors {
  errors: { code: string; message: string }[];
}

const sha512Of = (data: string | Buffer) => `sha512:${createHash('sha512').update(data).digest('hex')}`;

let seq = 0;
const freshName = (what: string) => {
  seq += 1;
  return `fidelity/${what}${seq}`;
};

// Where Longshore follows the OCI distribution spec rather than its own habits: foreign layers,
// referrers of things that do not exist, and manifest deletes that would leave an index dangling.
describe('/v2 fidelity to the distribution spec', () => {
  let longshore: Longshore;
  beforeAll(async () => {
    longshore = await startLongshore();
  });
  afterAll(() => longshore?.close());

  /** An image pushed over /v2 by digest (no tag): config and one layer, then the manifest. */
  const pushImage = async (name: string) => {
    const config = randomLayer(200);
    const layer = randomLayer(3000);
    for (const blob of [config, layer]) {
      expect((await pushBlob(longshore, name, blob.bytes, 1024, blob.digest)).status).toBe(201);
    }
    const manifest = imageManifest(config, [layer]);
    const digest = digestOf(Buffer.from(manifest));
    const put = await longshore.fetch(`/v2/${name}/manifests/${digest}`, {
      method: 'PUT',
      headers: { 'Content-Type': OCI_MANIFEST },
      body: manifest,
    });
    expect(put.status).toBe(201);
    return { manifest, digest };
  };

  const putManifest = (name: string, reference: string, body: string, contentType: string) =>
    longshore.fetch(`/v2/${name}/manifests/${reference}`, {
      method: 'PUT',
      headers: { 'Content-Type': contentType },
      body,
    });

  it('accepts a manifest with foreign (non-distributable) layers without their blobs, and pulls it back intact', async () => {
    const name = freshName('foreign');
    const config = randomLayer(150);
    expect((await pushBlob(longshore, name, config.bytes, 1024, config.digest)).status).toBe(201);
    const foreign = randomLayer(5000);
    const manifest = JSON.stringify({
      schemaVersion: 2,
      mediaType: OCI_MANIFEST,
      config: { mediaType: OCI_CONFIG, digest: config.digest, size: config.bytes.length },
      layers: [
        {
          mediaType: NON_DISTRIBUTABLE,
          digest: foreign.digest,
          size: foreign.bytes.length,
          urls: ['https://layers.example.com/windows/base.tar.gz', 'http://mirror.example.com/base.tar.gz'],
        },
      ],
    });
    const put = await putManifest(name, 'windows', manifest, OCI_MANIFEST);
    expect(put.status, await put.clone().text()).toBe(201);
    const digest = digestOf(Buffer.from(manifest));
    expect(put.headers.get('docker-content-digest')).toBe(digest);

    const pulled = await longshore.fetch(`/v2/${name}/manifests/windows`, { headers: { Accept: ACCEPT_ALL } });
    expect(pulled.status).toBe(200);
    expect(pulled.headers.get('docker-content-digest')).toBe(digest);
    expect(await pulled.text()).toBe(manifest);
    // The foreign layer's bytes were never pushed: the registry does not pretend to hold them.
    expect((await longshore.fetch(`/v2/${name}/blobs/${foreign.digest}`, { method: 'HEAD' })).status).toBe(404);

    // A Docker foreign layer through the ECR door, into the same store.
    const repositoryName = freshName('foreign-ecr');
    await longshore.ecr.send(new CreateRepositoryCommand({ repositoryName }));
    expect((await pushBlob(longshore, repositoryName, config.bytes, 1024, config.digest)).status).toBe(201);
    const dockerManifest = JSON.stringify({
      schemaVersion: 2,
      mediaType: 'application/vnd.docker.distribution.manifest.v2+json',
      config: { mediaType: 'application/vnd.docker.container.image.v1+json', digest: config.digest, size: 150 },
      layers: [{ mediaType: DOCKER_FOREIGN, digest: foreign.digest, size: 5000, urls: ['https://example.com/l'] }],
    });
    await longshore.ecr.send(new PutImageCommand({ repositoryName, imageManifest: dockerManifest, imageTag: 'v1' }));
    const got = await longshore.ecr.send(new BatchGetImageCommand({ repositoryName, imageIds: [{ imageTag: 'v1' }] }));
    expect(got.images?.[0]?.imageManifest).toBe(dockerManifest);
  });

  it('still refuses a layer without urls whose blob is missing, and urls that are not http(s)', async () => {
    const name = freshName('foreign-refused');
    const config = randomLayer(150);
    expect((await pushBlob(longshore, name, config.bytes, 1024, config.digest)).status).toBe(201);
    const missing = randomLayer(100);
    const layer = (extra: object) =>
      JSON.stringify({
        schemaVersion: 2,
        mediaType: OCI_MANIFEST,
        config: { mediaType: OCI_CONFIG, digest: config.digest, size: 150 },
        layers: [{ mediaType: OCI_LAYER, digest: missing.digest, size: 100, ...extra }],
      });

    const withoutUrls = await putManifest(name, 'a', layer({}), OCI_MANIFEST);
    expect(withoutUrls.status).toBe(404);
    expect(((await withoutUrls.json()) as OciErrors).errors[0]?.code).toBe('MANIFEST_BLOB_UNKNOWN');
    for (const urls of [['file:///etc/passwd'], 'https://example.com/l', [42]]) {
      const refused = await putManifest(name, 'a', layer({ urls }), OCI_MANIFEST);
      expect(refused.status).toBe(400);
      expect(((await refused.json()) as OciErrors).errors[0]?.code).toBe('MANIFEST_INVALID');
    }
  });

  it('answers the referrers of an unknown manifest or repository with an empty index (200), not NAME_UNKNOWN', async () => {
    const name = freshName('referrers');
    const image = await pushImage(name);
    const unknown = digestOf(Buffer.from(`nothing ${name}`));
    for (const path of [
      `/v2/${name}/referrers/${unknown}`,
      `/v2/${freshName('never-created')}/referrers/${image.digest}`,
      `/v2/${freshName('never-created')}/referrers/${unknown}?artifactType=application%2Fvnd.example.sbom`,
    ]) {
      const answer = await longshore.fetch(path);
      expect(answer.status, path).toBe(200);
      expect(answer.headers.get('content-type')).toBe(OCI_INDEX);
      expect(await answer.json()).toEqual({ schemaVersion: 2, mediaType: OCI_INDEX, manifests: [] });
    }
    const filtered = await longshore.fetch(
      `/v2/${freshName('never-created')}/referrers/${unknown}?artifactType=application%2Fvnd.example.sbom`,
    );
    expect(filtered.headers.get('oci-filters-applied')).toBe('artifactType');
    // Reading referrers creates nothing.
    const catalog = (await (await longshore.fetch('/v2/_catalog')).json()) as { repositories: string[] };
    expect(catalog.repositories.filter((r) => r.includes('never-created'))).toEqual([]);
  });

  it('takes manifests by sha512 digest, verified as strictly as sha256, and their referrers', async () => {
    const name = freshName('sha512');
    const image = await pushImage(name);
    const digest = sha512Of(image.manifest);
    const put = await putManifest(name, digest, image.manifest, OCI_MANIFEST);
    expect(put.status).toBe(201);
    expect(put.headers.get('docker-content-digest')).toBe(digest);
    expect(put.headers.get('location')).toBe(`/v2/${name}/manifests/${digest}`);

    const pulled = await longshore.fetch(`/v2/${name}/manifests/${digest}`, { headers: { Accept: ACCEPT_ALL } });
    expect(pulled.status).toBe(200);
    expect(pulled.headers.get('docker-content-digest')).toBe(digest);
    expect(await pulled.text()).toBe(image.manifest);
    const head = await longshore.fetch(`/v2/${name}/manifests/${digest}`, { method: 'HEAD' });
    expect(head.headers.get('docker-content-digest')).toBe(digest);

    // Bytes that do not hash to the sha512 named, and a sha512 of the wrong length, are refused.
    const wrong = await putManifest(name, sha512Of('other bytes'), image.manifest, OCI_MANIFEST);
    expect(wrong.status).toBe(400);
    expect(((await wrong.json()) as OciErrors).errors[0]?.code).toBe('DIGEST_INVALID');
    const short = await putManifest(name, `sha512:${'a'.repeat(64)}`, image.manifest, OCI_MANIFEST);
    expect(short.status).toBe(400);

    // A referrer whose subject is named by its sha512, found by that digest.
    const referrer = JSON.stringify({
      schemaVersion: 2,
      mediaType: OCI_MANIFEST,
      artifactType: 'application/vnd.example.sbom',
      config: JSON.parse(image.manifest).config,
      layers: JSON.parse(image.manifest).layers,
      subject: { mediaType: OCI_MANIFEST, digest, size: Buffer.byteLength(image.manifest) },
    });
    const attached = await putManifest(name, sha512Of(referrer), referrer, OCI_MANIFEST);
    expect(attached.status).toBe(201);
    expect(attached.headers.get('oci-subject')).toBe(digest);
    const referrers = await longshore.fetch(`/v2/${name}/referrers/${digest}`);
    expect(referrers.status).toBe(200);
    expect(((await referrers.json()) as { manifests: { digest: string }[] }).manifests).toEqual([
      expect.objectContaining({ digest: sha512Of(referrer), artifactType: 'application/vnd.example.sbom' }),
    ]);

    expect((await longshore.fetch(`/v2/${name}/manifests/${sha512Of(referrer)}`, { method: 'DELETE' })).status).toBe(
      202,
    );
    const gone = await longshore.fetch(`/v2/${name}/manifests/${sha512Of(referrer)}`, { method: 'HEAD' });
    expect(gone.status).toBe(404);
    // The same bytes stay reachable by their sha256 as well: the ECR door names them so.
    const bySha256 = await longshore.fetch(`/v2/${name}/manifests/${image.digest}`, { method: 'HEAD' });
    expect(bySha256.status).toBe(200);
  });

  describe('blobs by sha512 digest', () => {
    /** HEAD and GET of a blob by its sha512: the bytes back, named by that digest. */
    const expectBlob = async (name: string, bytes: Buffer) => {
      const digest = sha512Of(bytes);
      const head = await longshore.fetch(`/v2/${name}/blobs/${digest}`, { method: 'HEAD' });
      expect(head.status).toBe(200);
      expect(head.headers.get('docker-content-digest')).toBe(digest);
      expect(head.headers.get('content-length')).toBe(String(bytes.length));
      // Served by Longshore (200), or a 307 to the object store when blob GETs redirect (S3).
      const answered = await longshore.fetch(`/v2/${name}/blobs/${digest}`, { redirect: 'manual' });
      expect([200, 307]).toContain(answered.status);
      expect(answered.headers.get('docker-content-digest')).toBe(digest);
      await answered.body?.cancel();
      const got = await longshore.fetch(`/v2/${name}/blobs/${digest}`);
      expect(got.status).toBe(200);
      expect(Buffer.from(await got.arrayBuffer()).equals(bytes)).toBe(true);
    };
    const created = (answer: Response, digest: string) => {
      expect(answer.status).toBe(201);
      expect(answer.headers.get('docker-content-digest')).toBe(digest);
    };

    it('takes a monolithic POST ?digest=', async () => {
      const name = freshName('sha512-post');
      const { bytes } = randomLayer(20_000);
      const answer = await longshore.fetch(`/v2/${name}/blobs/uploads/?digest=${sha512Of(bytes)}`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/octet-stream' },
        body: bytes,
      });
      created(answer, sha512Of(bytes));
      expect(answer.headers.get('location')).toBe(`/v2/${name}/blobs/${sha512Of(bytes)}`);
      await expectBlob(name, bytes);
    });

    it('takes a POST then a PUT ?digest= carrying the whole blob', async () => {
      const name = freshName('sha512-put');
      const { bytes } = randomLayer(30_000);
      const started = await longshore.fetch(`/v2/${name}/blobs/uploads/`, { method: 'POST' });
      expect(started.status).toBe(202);
      const location = started.headers.get('location')!;
      const separator = location.includes('?') ? '&' : '?';
      const answer = await longshore.fetch(`${location}${separator}digest=${sha512Of(bytes)}`, {
        method: 'PUT',
        headers: { 'Content-Type': 'application/octet-stream' },
        body: bytes,
      });
      created(answer, sha512Of(bytes));
      await expectBlob(name, bytes);
    });

    it('takes chunks (PATCH with Content-Range, then PUT)', async () => {
      const name = freshName('sha512-chunked');
      const { bytes } = randomLayer(50_000);
      created(await pushBlob(longshore, name, bytes, 12_000, sha512Of(bytes)), sha512Of(bytes));
      await expectBlob(name, bytes);
    });

    it('takes a streamed upload (PATCH without Content-Range, then PUT)', async () => {
      const name = freshName('sha512-streamed');
      const { bytes } = randomLayer(40_000);
      const started = await longshore.fetch(`/v2/${name}/blobs/uploads/`, { method: 'POST' });
      const patched = await longshore.fetch(started.headers.get('location')!, {
        method: 'PATCH',
        headers: { 'Content-Type': 'application/octet-stream' },
        body: bytes,
      });
      expect(patched.status).toBe(202);
      const upload = { uploadId: '', location: patched.headers.get('location')! };
      created(await completeBlobUpload(longshore, upload, sha512Of(bytes)), sha512Of(bytes));
      await expectBlob(name, bytes);
    });

    it('takes the empty blob', async () => {
      const name = freshName('sha512-empty');
      const empty = Buffer.alloc(0);
      const answer = await longshore.fetch(`/v2/${name}/blobs/uploads/?digest=${sha512Of(empty)}`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/octet-stream', 'Content-Length': '0' },
      });
      created(answer, sha512Of(empty));
      await expectBlob(name, empty);
    });

    it('mounts a sha512 blob from another repository', async () => {
      const from = freshName('sha512-mount-from');
      const name = freshName('sha512-mount-to');
      const { bytes } = randomLayer(10_000);
      created(await pushBlob(longshore, from, bytes, 4096, sha512Of(bytes)), sha512Of(bytes));
      const mounted = await longshore.fetch(
        `/v2/${name}/blobs/uploads/?mount=${sha512Of(bytes)}&from=${encodeURIComponent(from)}`,
        { method: 'POST' },
      );
      created(mounted, sha512Of(bytes));
      await expectBlob(name, bytes);
    });

    it('refuses a wrong sha512 (DIGEST_INVALID) and a sha512 of the wrong length, publishing nothing', async () => {
      const name = freshName('sha512-wrong');
      const { bytes, digest } = randomLayer(10_000);
      const wrong = sha512Of('something else');
      const answer = await pushBlob(longshore, name, bytes, 4096, wrong);
      expect(answer.status).toBe(400);
      expect(((await answer.json()) as OciErrors).errors[0]?.code).toBe('DIGEST_INVALID');
      for (const named of [wrong, sha512Of(bytes), digest]) {
        expect((await longshore.fetch(`/v2/${name}/blobs/${named}`, { method: 'HEAD' })).status, named).toBe(404);
      }
      const short = await longshore.fetch(`/v2/${name}/blobs/uploads/?digest=sha512:${'a'.repeat(64)}`, {
        method: 'POST',
        body: bytes,
      });
      expect(short.status).toBe(400);
      expect(((await short.json()) as OciErrors).errors[0]?.code).toBe('DIGEST_INVALID');
      expect(await longshore.storage.storedUploads()).toEqual([]);
    });
  });

  it('refuses to DELETE a manifest an index lists (DENIED 409), as BatchDeleteImage does, until the index is gone', async () => {
    const name = freshName('index-child');
    const amd64 = await pushImage(name);
    const arm64 = await pushImage(name);
    const index = indexManifest([amd64, arm64]);
    expect((await putManifest(name, 'multi', index, OCI_INDEX)).status).toBe(201);

    const refused = await longshore.fetch(`/v2/${name}/manifests/${amd64.digest}`, { method: 'DELETE' });
    expect(refused.status).toBe(409);
    const body = (await refused.json()) as OciErrors;
    expect(body.errors[0]?.code).toBe('DENIED');
    expect(body.errors[0]?.message).toMatch(/index/);

    // Nothing dangles: the index and its child still pull.
    for (const reference of ['multi', amd64.digest]) {
      const pulled = await longshore.fetch(`/v2/${name}/manifests/${reference}`, { headers: { Accept: ACCEPT_ALL } });
      expect(pulled.status, reference).toBe(200);
    }

    const indexDigest = digestOf(Buffer.from(index));
    expect((await longshore.fetch(`/v2/${name}/manifests/${indexDigest}`, { method: 'DELETE' })).status).toBe(202);
    expect((await longshore.fetch(`/v2/${name}/manifests/${amd64.digest}`, { method: 'DELETE' })).status).toBe(202);
    const gone = await longshore.fetch(`/v2/${name}/manifests/${amd64.digest}`, { headers: { Accept: ACCEPT_ALL } });
    expect(gone.status).toBe(404);
  });
});

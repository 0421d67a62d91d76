import { BatchCheckLayerAvailabilityCommand, CreateRepositoryCommand } from '@aws-sdk/client-ecr';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { digestOf, pushLayer, randomLayer } from '../support/layer-data.js';
import { startLongshore, type Longshore } from '../support/longshore-harness.js';
import { ociMediaTypes } from '../support/oci-layout.js';
import { pushBlob } from '../support/oci-push.js';
import { parsePrometheusText, sampleSum } from '../support/prometheus-text.js';

const dockerManifest = 'application/vnd.docker.distribution.manifest.v2+json';

interface OciErrors {
  errors: { code: string; message: string; detail?: unknown }[];
}

/** The first OCI error code of an answer. */
async function codeOf(answer: Response): Promise<string> {
  const body = (await answer.json()) as OciErrors;
  return body.errors[0]!.code;
}

/** A manifest referencing `config` and `layers` (digests and sizes of pushed blobs). */
function manifestOf(
  config: { digest: string; size: number },
  layers: { digest: string; size: number }[],
  extra: object = {},
): Buffer {
  return Buffer.from(
    JSON.stringify({
      schemaVersion: 2,
      mediaType: ociMediaTypes.manifest,
      config: { mediaType: ociMediaTypes.config, ...config },
      layers: layers.map((l) => ({ mediaType: ociMediaTypes.layer, ...l })),
      ...extra,
    }),
  );
}

describe('the /v2 door', () => {
  let longshore: Longshore;
  beforeAll(async () => {
    longshore = await startLongshore();
  });
  afterAll(() => longshore?.close());

  const push = async (name: string, bytes: Buffer) => {
    const digest = digestOf(bytes);
    const answer = await pushBlob(longshore, name, bytes, 64 * 1024, digest);
    expect(answer.status).toBe(201);
    return { digest, size: bytes.length };
  };

  it('answers the version check', async () => {
    const answer = await longshore.fetch('/v2/');
    expect(answer.status).toBe(200);
    expect(answer.headers.get('docker-distribution-api-version')).toBe('registry/2.0');
  });

  it('takes a chunked upload: progress, a refused out-of-order chunk, a final chunk in the PUT', async () => {
    const name = 'door/chunked';
    const layer = randomLayer(300_000);
    const started = await longshore.fetch(`/v2/${name}/blobs/uploads/`, { method: 'POST' });
    expect(started.status).toBe(202);
    const uploadId = started.headers.get('docker-upload-uuid')!;
    expect(started.headers.get('location')).toBe(`/v2/${name}/blobs/uploads/${uploadId}`);
    expect(started.headers.get('range')).toBe('0-0');
    const location = started.headers.get('location')!;

    // A chunk without Content-Range goes at the end; a streamed body of unknown length too.
    const first = await longshore.fetch(location, { method: 'PATCH', body: layer.bytes.subarray(0, 100_000) });
    expect(first.status).toBe(202);
    expect(first.headers.get('range')).toBe('0-99999');
    const streamed = await longshore.fetch(location, {
      method: 'PATCH',
      body: new Blob([layer.bytes.subarray(100_000, 200_000)]).stream(),
      duplex: 'half',
    } as RequestInit);
    expect(streamed.status).toBe(202);
    expect(streamed.headers.get('range')).toBe('0-199999');

    const outOfOrder = await longshore.fetch(location, {
      method: 'PATCH',
      headers: { 'Content-Range': '250000-259999' },
      body: layer.bytes.subarray(250_000, 260_000),
    });
    expect(outOfOrder.status).toBe(416);
    expect(outOfOrder.headers.get('range'), 'where to resume').toBe('0-199999');
    expect(await codeOf(outOfOrder)).toBe('RANGE_INVALID');

    const status = await longshore.fetch(location);
    expect(status.status).toBe(204);
    expect(status.headers.get('range')).toBe('0-199999');
    expect(status.headers.get('docker-upload-uuid')).toBe(uploadId);

    const put = await longshore.fetch(`${location}?digest=${layer.digest}`, {
      method: 'PUT',
      headers: { 'Content-Range': '200000-299999' },
      body: layer.bytes.subarray(200_000),
    });
    expect(put.status).toBe(201);
    expect(put.headers.get('location')).toBe(`/v2/${name}/blobs/${layer.digest}`);
    expect(put.headers.get('docker-content-digest')).toBe(layer.digest);

    const pulled = await longshore.fetch(`/v2/${name}/blobs/${layer.digest}`);
    expect(Buffer.from(await pulled.arrayBuffer()).equals(layer.bytes)).toBe(true);
    const after = await longshore.fetch(location);
    expect(after.status).toBe(404);
    expect(await codeOf(after)).toBe('BLOB_UPLOAD_UNKNOWN');
  });

  it('refuses a completion whose digest does not match, keeping nothing', async () => {
    const name = 'door/mismatch';
    const layer = randomLayer(10_000);
    const wrong = digestOf(Buffer.from('something else'));
    const answer = await pushBlob(longshore, name, layer.bytes, 4096, wrong);
    expect(answer.status).toBe(400);
    expect(await codeOf(answer)).toBe('DIGEST_INVALID');
    expect((await longshore.fetch(`/v2/${name}/blobs/${wrong}`, { method: 'HEAD' })).status).toBe(404);
    expect((await longshore.fetch(`/v2/${name}/blobs/${layer.digest}`, { method: 'HEAD' })).status).toBe(404);
    expect(await longshore.storage.storedUploads()).toEqual([]);

    const malformed = await longshore.fetch(`/v2/${name}/blobs/uploads/?digest=md5:abc`, { method: 'POST' });
    expect(malformed.status).toBe(400);
    expect(await codeOf(malformed)).toBe('DIGEST_INVALID');
  });

  it('opens sessions in a repository it creates, then in the existing one: storage only for those sessions', async () => {
    const name = 'door/created-on-post';
    const before = await longshore.storage.storedUploads();
    const opened: { uploadId: string; location: string }[] = [];
    for (let i = 0; i < 2; i += 1) {
      const started = await longshore.fetch(`/v2/${name}/blobs/uploads/`, { method: 'POST' });
      expect(started.status).toBe(202);
      opened.push({ uploadId: started.headers.get('docker-upload-uuid')!, location: started.headers.get('location')! });
    }
    const catalog = (await (await longshore.fetch('/v2/_catalog')).json()) as { repositories: string[] };
    expect(catalog.repositories).toContain(name);
    // The first POST found no repository in its record's script: that session was undone, not kept.
    expect(await longshore.storage.storedUploads()).toEqual([...before, ...opened.map((o) => o.uploadId)].sort());
    for (const { location } of opened) expect((await longshore.fetch(location, { method: 'DELETE' })).status).toBe(204);
    expect(await longshore.storage.storedUploads()).toEqual(before);
  });

  it('cancels an upload with DELETE and forgets it', async () => {
    const name = 'door/cancel';
    const started = await longshore.fetch(`/v2/${name}/blobs/uploads/`, { method: 'POST' });
    const location = started.headers.get('location')!;
    expect((await longshore.fetch(location, { method: 'PATCH', body: randomLayer(5000).bytes })).status).toBe(202);
    expect((await longshore.fetch(location, { method: 'DELETE' })).status).toBe(204);
    const late = await longshore.fetch(location, { method: 'PATCH', body: Buffer.from('more') });
    expect(late.status).toBe(404);
    expect(await codeOf(late)).toBe('BLOB_UPLOAD_UNKNOWN');
    expect(await longshore.storage.storedUploads()).toEqual([]);
  });

  it('serves blobs whole, by range, and unlinks them on DELETE', async () => {
    const name = 'door/blobs';
    const bytes = randomLayer(5000).bytes;
    const { digest } = await push(name, bytes);
    const head = await longshore.fetch(`/v2/${name}/blobs/${digest}`, { method: 'HEAD' });
    expect(head.status).toBe(200);
    expect(head.headers.get('content-length')).toBe('5000');
    expect(head.headers.get('docker-content-digest')).toBe(digest);

    const part = await longshore.fetch(`/v2/${name}/blobs/${digest}`, { headers: { Range: 'bytes=100-199' } });
    expect(part.status).toBe(206);
    expect(part.headers.get('content-range')).toBe('bytes 100-199/5000');
    expect(Buffer.from(await part.arrayBuffer()).equals(bytes.subarray(100, 200))).toBe(true);

    const beyond = await longshore.fetch(`/v2/${name}/blobs/${digest}`, { headers: { Range: 'bytes=6000-7000' } });
    expect(beyond.status).toBe(416);
    expect(beyond.headers.get('content-range')).toBe('bytes */5000');
    expect(await codeOf(beyond)).toBe('RANGE_INVALID');

    expect((await longshore.fetch(`/v2/${name}/blobs/${digest}`, { method: 'DELETE' })).status).toBe(202);
    const gone = await longshore.fetch(`/v2/${name}/blobs/${digest}`);
    expect(gone.status).toBe(404);
    expect(await codeOf(gone)).toBe('BLOB_UNKNOWN');
    const again = await longshore.fetch(`/v2/${name}/blobs/${digest}`, { method: 'DELETE' });
    expect(again.status).toBe(404);
    expect(await codeOf(again)).toBe('BLOB_UNKNOWN');
  });

  it('mounts a blob from another repository, or falls back to an upload', async () => {
    const { digest } = await push('door/mount-from', randomLayer(3000).bytes);
    const mounted = await longshore.fetch(`/v2/door/mount-to/blobs/uploads/?mount=${digest}&from=door/mount-from`, {
      method: 'POST',
    });
    expect(mounted.status).toBe(201);
    expect(mounted.headers.get('location')).toBe(`/v2/door/mount-to/blobs/${digest}`);
    expect((await longshore.fetch(`/v2/door/mount-to/blobs/${digest}`)).status).toBe(200);

    const fallback = await longshore.fetch(`/v2/door/mount-to/blobs/uploads/?mount=${digest}&from=door/elsewhere`, {
      method: 'POST',
    });
    expect(fallback.status).toBe(202);
    expect(fallback.headers.get('location')).toMatch(/^\/v2\/door\/mount-to\/blobs\/uploads\/[0-9a-f-]{36}$/);
  });

  it('stores manifests: refuses missing blobs and bad JSON, honours Accept, answers OCI-Subject', async () => {
    const name = 'door/manifests';
    const config = await push(name, Buffer.from('{"architecture":"amd64","os":"linux"}'));
    const layer = await push(name, randomLayer(2000).bytes);
    const missing = { digest: digestOf(Buffer.from('not pushed')), size: 10 };

    const put = (reference: string, body: Buffer, type: string = ociMediaTypes.manifest) =>
      longshore.fetch(`/v2/${name}/manifests/${reference}`, {
        method: 'PUT',
        headers: { 'Content-Type': type },
        body,
      });

    const unknownBlob = await put('v0', manifestOf(config, [layer, missing]));
    expect(unknownBlob.status).toBe(404);
    expect(await codeOf(unknownBlob)).toBe('MANIFEST_BLOB_UNKNOWN');
    const invalid = await put('v0', Buffer.from('{"schemaVersion": 2,'));
    expect(invalid.status).toBe(400);
    expect(await codeOf(invalid)).toBe('MANIFEST_INVALID');

    const manifest = manifestOf(config, [layer]);
    const created = await put('v1', manifest);
    expect(created.status).toBe(201);
    expect(created.headers.get('docker-content-digest')).toBe(digestOf(manifest));
    expect(created.headers.get('location')).toBe(`/v2/${name}/manifests/${digestOf(manifest)}`);
    expect(created.headers.get('oci-subject')).toBeNull();

    const got = await longshore.fetch(`/v2/${name}/manifests/v1`, { headers: { Accept: ociMediaTypes.manifest } });
    expect(got.status).toBe(200);
    expect(got.headers.get('content-type')).toBe(ociMediaTypes.manifest);
    expect(Buffer.from(await got.arrayBuffer()).equals(manifest)).toBe(true);
    const dockerOnly = await longshore.fetch(`/v2/${name}/manifests/v1`, { headers: { Accept: dockerManifest } });
    expect(dockerOnly.status).toBe(404);
    expect(await codeOf(dockerOnly)).toBe('MANIFEST_UNKNOWN');

    const referrer = manifestOf(config, [layer], {
      artifactType: 'application/vnd.example.sbom',
      subject: { mediaType: ociMediaTypes.manifest, digest: digestOf(manifest), size: manifest.length },
    });
    const attached = await put(digestOf(referrer), referrer);
    expect(attached.status).toBe(201);
    expect(attached.headers.get('oci-subject')).toBe(digestOf(manifest));

    const referrers = await longshore.fetch(
      `/v2/${name}/referrers/${digestOf(manifest)}?artifactType=application/vnd.example.sbom`,
    );
    expect(referrers.status).toBe(200);
    expect(referrers.headers.get('content-type')).toBe(ociMediaTypes.index);
    expect(referrers.headers.get('oci-filters-applied')).toBe('artifactType');
    const list = (await referrers.json()) as { manifests: { digest: string; artifactType: string }[] };
    expect(list.manifests).toMatchObject([
      { digest: digestOf(referrer), artifactType: 'application/vnd.example.sbom' },
    ]);

    const untagged = await longshore.fetch(`/v2/${name}/manifests/v1`, { method: 'DELETE' });
    expect(untagged.status).toBe(202);
    expect((await longshore.fetch(`/v2/${name}/manifests/v1`)).status).toBe(404);
    expect((await longshore.fetch(`/v2/${name}/manifests/${digestOf(manifest)}`)).status).toBe(200);
  });

  it('pages tags and the catalog with n, last and Link', async () => {
    const name = 'door/paged';
    const config = await push(name, Buffer.from('{"os":"linux"}'));
    const manifest = manifestOf(config, []);
    for (const tag of ['e', 'a', 'd', 'b', 'c']) {
      const put = await longshore.fetch(`/v2/${name}/manifests/${tag}`, {
        method: 'PUT',
        headers: { 'Content-Type': ociMediaTypes.manifest },
        body: manifest,
      });
      expect(put.status).toBe(201);
    }
    const pages: string[][] = [];
    let next: string | undefined = `/v2/${name}/tags/list?n=2`;
    while (next) {
      const page = await longshore.fetch(next);
      expect(page.status).toBe(200);
      pages.push(((await page.json()) as { tags: string[] }).tags);
      next = /^<([^>]+)>; rel="next"$/.exec(page.headers.get('link') ?? '')?.[1];
    }
    expect(pages).toEqual([['a', 'b'], ['c', 'd'], ['e']]);

    const catalog = await longshore.fetch('/v2/_catalog?n=1');
    expect(catalog.status).toBe(200);
    expect(((await catalog.json()) as { repositories: string[] }).repositories).toHaveLength(1);
    expect(catalog.headers.get('link')).toMatch(/^<\/v2\/_catalog\?n=1&last=[^>]+>; rel="next"$/);
    const all = (await (await longshore.fetch('/v2/_catalog')).json()) as { repositories: string[] };
    expect(all.repositories).toContain(name);
    expect(all.repositories).toEqual([...all.repositories].sort());
  });

  it('answers bad names, methods and paths in the OCI form; other paths in the /v1 envelope', async () => {
    const badName = await longshore.fetch('/v2/Upper/Case/tags/list');
    expect(badName.status).toBe(400);
    expect(await codeOf(badName)).toBe('NAME_INVALID');

    const method = await longshore.fetch('/v2/door/any/manifests/latest', { method: 'PATCH' });
    expect(method.status).toBe(405);
    expect(method.headers.get('allow')).toBe('PUT, GET, HEAD, DELETE');
    expect(await codeOf(method)).toBe('UNSUPPORTED');

    const unknownPath = await longshore.fetch('/v2/door/any/unknown');
    expect(unknownPath.status).toBe(404);
    expect(unknownPath.headers.get('docker-distribution-api-version')).toBe('registry/2.0');
    expect(await codeOf(unknownPath)).toBe('UNSUPPORTED');

    const unknownRepository = await longshore.fetch('/v2/door/never-pushed/tags/list');
    expect(unknownRepository.status).toBe(404);
    expect(await codeOf(unknownRepository)).toBe('NAME_UNKNOWN');

    const elsewhere = await longshore.fetch('/nothing/here');
    expect(elsewhere.status).toBe(404);
    expect(await elsewhere.json()).toMatchObject({ success: false, error: { code: 'NOT_FOUND' } });
  });

  it('shares layers with the ECR door both ways', async () => {
    const { ecr } = longshore;
    const { digest } = await push('door/shared', randomLayer(4000).bytes);
    const seen = await ecr.send(
      new BatchCheckLayerAvailabilityCommand({ repositoryName: 'door/shared', layerDigests: [digest] }),
    );
    expect(seen.layers).toEqual([{ layerDigest: digest, layerAvailability: 'AVAILABLE', layerSize: 4000 }]);

    await ecr.send(new CreateRepositoryCommand({ repositoryName: 'door/from-ecr' }));
    const layer = randomLayer(6000);
    await pushLayer(ecr, 'door/from-ecr', layer, 6000);
    const pulled = await longshore.fetch(`/v2/door/from-ecr/blobs/${layer.digest}`);
    expect(pulled.status).toBe(200);
    expect(Buffer.from(await pulled.arrayBuffer()).equals(layer.bytes)).toBe(true);
  });

  it('counts /v2 requests by operation and outcome, with bounded labels', async () => {
    const scrape = parsePrometheusText(await (await fetch(longshore.metricsUrl)).text());
    expect(
      sampleSum(scrape, 'longshore_api_requests_total', { operation: 'v2.CompleteUpload', outcome: 'ok' }),
    ).toBeGreaterThan(0);
    expect(
      sampleSum(scrape, 'longshore_api_requests_total', {
        operation: 'v2.UploadChunk',
        outcome: 'InvalidLayerPartException',
      }),
    ).toBe(1);
    const labels = scrape.samples
      .filter((s) => s.name === 'longshore_api_requests_total' && s.labels.operation?.startsWith('v2.'))
      .flatMap((s) => Object.values(s.labels));
    for (const value of labels) expect(value).not.toMatch(/sha256|door\/|[0-9a-f]{8}-/);
  });
});

describe('the /v2 door with CREATE_REPOSITORY_ON_PUSH=false', () => {
  let longshore: Longshore;
  beforeAll(async () => {
    longshore = await startLongshore({ env: { CREATE_REPOSITORY_ON_PUSH: 'false' } });
  });
  afterAll(() => longshore?.close());

  it('refuses a push to a repository that does not exist, and takes one that does', async () => {
    const refused = await longshore.fetch('/v2/strict/missing/blobs/uploads/', { method: 'POST' });
    expect(refused.status).toBe(404);
    expect(await codeOf(refused)).toBe('NAME_UNKNOWN');

    await longshore.ecr.send(new CreateRepositoryCommand({ repositoryName: 'strict/present' }));
    const accepted = await longshore.fetch('/v2/strict/present/blobs/uploads/', { method: 'POST' });
    expect(accepted.status).toBe(202);
  });
});

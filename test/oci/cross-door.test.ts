import {
  BatchDeleteImageCommand,
  BatchGetImageCommand,
  CreateRepositoryCommand,
  DescribeImagesCommand,
  DescribeRepositoriesCommand,
  ImageNotFoundException,
  ListImagesCommand,
  PutImageCommand,
  type ECRClient,
} from '@aws-sdk/client-ecr';
import { wireTable } from '@longshore/domain';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  OCI_CONFIG,
  OCI_INDEX,
  OCI_MANIFEST,
  imageManifest,
  indexManifest,
  pushImageBlobs,
} from '../support/image-data.js';
import { digestOf, randomLayer, type Layer } from '../support/layer-data.js';
import { startLongshore, type Longshore } from '../support/longshore-harness.js';
import { pushBlob } from '../support/oci-push.js';
import { rejectionOf } from '../support/rejection.js';

const ACCEPT_ALL = [OCI_MANIFEST, OCI_INDEX, 'application/vnd.docker.distribution.manifest.v2+json'].join(', ');
let seq = 0;
const freshName = (door: string) => {
  seq += 1;
  return `cross/${door}${seq}`;
};

/** An image pushed entirely over /v2: blobs in chunks, then the manifest by tag. */
async function pushOverV2(longshore: Longshore, name: string, tag: string, options: { subject?: string } = {}) {
  const config = randomLayer(300);
  const layers = [randomLayer(4000), randomLayer(9000)];
  for (const blob of [config, ...layers]) {
    const completed = await pushBlob(longshore, name, blob.bytes, 2048, blob.digest);
    expect(completed.status).toBe(201);
  }
  const manifest = imageManifest(config, layers, {
    ...(options.subject ? { subject: { mediaType: OCI_MANIFEST, digest: options.subject, size: 100 } } : {}),
  });
  const put = await longshore.fetch(`/v2/${name}/manifests/${tag}`, {
    method: 'PUT',
    headers: { 'Content-Type': OCI_MANIFEST },
    body: manifest,
  });
  expect(put.status).toBe(201);
  return { config, layers, manifest, digest: digestOf(Buffer.from(manifest)), put };
}

async function pullOverV2(longshore: Longshore, name: string, reference: string) {
  return longshore.fetch(`/v2/${name}/manifests/${reference}`, { headers: { Accept: ACCEPT_ALL } });
}

describe('one image store behind both doors', () => {
  let longshore: Longshore;
  let ecr: ECRClient;
  beforeAll(async () => {
    longshore = await startLongshore();
    ecr = longshore.ecr;
  });
  afterAll(() => longshore?.close());

  it('an image put with PutImage is pulled over /v2: the same bytes, digest, tags and blobs', async () => {
    const repositoryName = freshName('ecr');
    await ecr.send(new CreateRepositoryCommand({ repositoryName }));
    const image = await pushImageBlobs(ecr, repositoryName);
    await ecr.send(new PutImageCommand({ repositoryName, imageManifest: image.manifest, imageTag: 'v1' }));

    for (const reference of ['v1', image.digest]) {
      const pulled = await pullOverV2(longshore, repositoryName, reference);
      expect(pulled.status).toBe(200);
      expect(pulled.headers.get('content-type')).toBe(OCI_MANIFEST);
      expect(pulled.headers.get('docker-content-digest')).toBe(image.digest);
      expect(await pulled.text()).toBe(image.manifest);
    }
    const tags = await longshore.fetch(`/v2/${repositoryName}/tags/list`);
    expect(await tags.json()).toEqual({ name: repositoryName, tags: ['v1'] });
    for (const blob of [image.config, ...image.layers]) {
      const got = await longshore.fetch(`/v2/${repositoryName}/blobs/${blob.digest}`);
      expect(got.status).toBe(200);
      expect(Buffer.from(await got.arrayBuffer()).equals(blob.bytes)).toBe(true);
    }
  });

  it('an image pushed over /v2 creates its repository and is described, listed and fetched by the ECR API', async () => {
    const repositoryName = freshName('v2');
    const before = Date.now();
    const pushed = await pushOverV2(longshore, repositoryName, 'latest');
    expect(pushed.put.headers.get('docker-content-digest')).toBe(pushed.digest);

    const { repositories } = await ecr.send(new DescribeRepositoriesCommand({ repositoryNames: [repositoryName] }));
    expect(repositories?.[0]).toMatchObject({ repositoryName, imageTagMutability: 'MUTABLE' });

    const { imageDetails } = await ecr.send(new DescribeImagesCommand({ repositoryName }));
    expect(imageDetails).toHaveLength(1);
    expect(imageDetails?.[0]).toMatchObject({
      imageDigest: pushed.digest,
      imageTags: ['latest'],
      imageSizeInBytes: 13000,
      imageManifestMediaType: OCI_MANIFEST,
      artifactMediaType: OCI_CONFIG,
    });
    expect(imageDetails?.[0]?.imagePushedAt?.getTime()).toBeGreaterThanOrEqual(Math.floor(before / 1000) * 1000);

    const listed = await ecr.send(new ListImagesCommand({ repositoryName }));
    expect(listed.imageIds).toEqual([{ imageDigest: pushed.digest, imageTag: 'latest' }]);
    const got = await ecr.send(new BatchGetImageCommand({ repositoryName, imageIds: [{ imageTag: 'latest' }] }));
    expect(got.images?.[0]?.imageManifest).toBe(pushed.manifest);
  });

  it('what one door deletes, the other no longer finds', async () => {
    const repositoryName = freshName('delete');
    const first = await pushOverV2(longshore, repositoryName, 'one');
    const second = await pushOverV2(longshore, repositoryName, 'two');

    await ecr.send(new BatchDeleteImageCommand({ repositoryName, imageIds: [{ imageDigest: first.digest }] }));
    const gone = await pullOverV2(longshore, repositoryName, 'one');
    expect(gone.status).toBe(404);
    expect(((await gone.json()) as { errors: { code: string }[] }).errors[0]?.code).toBe('MANIFEST_UNKNOWN');

    const deleted = await longshore.fetch(`/v2/${repositoryName}/manifests/${second.digest}`, { method: 'DELETE' });
    expect(deleted.status).toBe(202);
    await rejectionOf(
      ecr.send(new DescribeImagesCommand({ repositoryName, imageIds: [{ imageDigest: second.digest }] })),
      ImageNotFoundException,
    );
    expect((await ecr.send(new ListImagesCommand({ repositoryName }))).imageIds).toEqual([]);
  });

  it('a tag moved over /v2 moves for DescribeImages', async () => {
    const repositoryName = freshName('move');
    const first = await pushOverV2(longshore, repositoryName, 'latest');
    const second = await pushOverV2(longshore, repositoryName, 'latest');
    const { imageDetails } = await ecr.send(new DescribeImagesCommand({ repositoryName }));
    const tags = new Map(imageDetails?.map((d) => [d.imageDigest, d.imageTags]));
    expect(tags.get(first.digest)).toBeUndefined();
    expect(tags.get(second.digest)).toEqual(['latest']);
  });

  it('an IMMUTABLE repository made with CreateRepository refuses a tag move over /v2', async () => {
    const repositoryName = freshName('immutable');
    await ecr.send(new CreateRepositoryCommand({ repositoryName, imageTagMutability: 'IMMUTABLE' }));
    const first = await pushOverV2(longshore, repositoryName, 'v1');
    // Re-pushing the same manifest to its tag changes nothing and is accepted over /v2.
    const again = await longshore.fetch(`/v2/${repositoryName}/manifests/v1`, {
      method: 'PUT',
      headers: { 'Content-Type': OCI_MANIFEST },
      body: first.manifest,
    });
    expect(again.status).toBe(201);

    const image = await pushImageBlobs(ecr, repositoryName);
    const moved = await longshore.fetch(`/v2/${repositoryName}/manifests/v1`, {
      method: 'PUT',
      headers: { 'Content-Type': OCI_MANIFEST },
      body: image.manifest,
    });
    const expected = wireTable.ImageTagAlreadyExistsException.oci;
    expect(moved.status).toBe(expected.status);
    expect(((await moved.json()) as { errors: { code: string }[] }).errors[0]?.code).toBe(expected.code);
    const { imageDetails } = await ecr.send(
      new DescribeImagesCommand({ repositoryName, imageIds: [{ imageTag: 'v1' }] }),
    );
    expect(imageDetails?.[0]?.imageDigest).toBe(first.digest);
  });

  it('referrers put with PutImage are listed over /v2; an index pushed over /v2 is an ECR image with its children', async () => {
    const repositoryName = freshName('referrers');
    const subject = await pushOverV2(longshore, repositoryName, 'app');
    const sbom = await pushImageBlobs(ecr, repositoryName, {
      subject: { mediaType: OCI_MANIFEST, digest: subject.digest, size: Buffer.byteLength(subject.manifest) },
      artifactType: 'application/vnd.example.sbom',
      annotations: { 'org.example.kind': 'sbom' },
    });
    await ecr.send(new PutImageCommand({ repositoryName, imageManifest: sbom.manifest }));

    const referrers = await longshore.fetch(`/v2/${repositoryName}/referrers/${subject.digest}`);
    expect(referrers.status).toBe(200);
    expect(await referrers.json()).toMatchObject({
      schemaVersion: 2,
      mediaType: OCI_INDEX,
      manifests: [
        {
          mediaType: OCI_MANIFEST,
          digest: sbom.digest,
          size: Buffer.byteLength(sbom.manifest),
          artifactType: 'application/vnd.example.sbom',
          annotations: { 'org.example.kind': 'sbom' },
        },
      ],
    });
    const { imageDetails } = await ecr.send(
      new DescribeImagesCommand({ repositoryName, imageIds: [{ imageDigest: sbom.digest }] }),
    );
    expect(imageDetails?.[0]?.subjectManifestDigest).toBe(subject.digest);

    const other = await pushOverV2(longshore, repositoryName, 'other');
    const index = indexManifest([subject, other]);
    const put = await longshore.fetch(`/v2/${repositoryName}/manifests/multi`, {
      method: 'PUT',
      headers: { 'Content-Type': OCI_INDEX },
      body: index,
    });
    expect(put.status).toBe(201);
    const described = await ecr.send(new DescribeImagesCommand({ repositoryName, imageIds: [{ imageTag: 'multi' }] }));
    expect(described.imageDetails?.[0]).toMatchObject({ imageManifestMediaType: OCI_INDEX, imageSizeInBytes: 13000 });
    const refused = await ecr.send(
      new BatchDeleteImageCommand({ repositoryName, imageIds: [{ imageDigest: other.digest }] }),
    );
    expect(refused.failures?.[0]?.failureCode).toBe('ImageReferencedByManifestList');
  });
});

describe('CREATE_REPOSITORY_ON_PUSH=false', () => {
  let longshore: Longshore;
  let layer: Layer;
  beforeAll(async () => {
    longshore = await startLongshore({ env: { CREATE_REPOSITORY_ON_PUSH: 'false' } });
    layer = randomLayer(100);
  });
  afterAll(() => longshore?.close());

  it('a manifest pushed over /v2 to a missing repository is NAME_UNKNOWN, and nothing is created', async () => {
    const name = 'cross/not-created';
    const manifest = imageManifest(layer, [layer]);
    const put = await longshore.fetch(`/v2/${name}/manifests/v1`, {
      method: 'PUT',
      headers: { 'Content-Type': OCI_MANIFEST },
      body: manifest,
    });
    expect(put.status).toBe(404);
    expect(((await put.json()) as { errors: { code: string }[] }).errors[0]?.code).toBe('NAME_UNKNOWN');
    const catalog = await longshore.fetch('/v2/_catalog');
    expect(((await catalog.json()) as { repositories: string[] }).repositories).not.toContain(name);
  });
});

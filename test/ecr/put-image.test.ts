import {
  BatchGetImageCommand,
  CreateRepositoryCommand,
  DescribeImagesCommand,
  ImageAlreadyExistsException,
  ImageDigestDoesNotMatchException,
  ImageTagAlreadyExistsException,
  InvalidParameterException,
  LayersNotFoundException,
  PutImageCommand,
  PutImageTagMutabilityCommand,
  ReferencedImagesNotFoundException,
  RepositoryNotFoundException,
  type ECRClient,
} from '@aws-sdk/client-ecr';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  DOCKER_MANIFEST,
  OCI_CONFIG,
  OCI_INDEX,
  OCI_MANIFEST,
  imageManifest,
  indexManifest,
  pushImageBlobs,
} from '../support/image-data.js';
import { digestOf, randomLayer } from '../support/layer-data.js';
import { startLongshore, type Longshore } from '../support/longshore-harness.js';
import { httpStatusOf, rejectionOf } from '../support/rejection.js';

const REGISTRY_ID = '000000000000';
let seq = 0;

async function createRepository(ecr: ECRClient, settings: { imageTagMutability?: 'MUTABLE' | 'IMMUTABLE' } = {}) {
  seq += 1;
  const repositoryName = `images/put${seq}`;
  await ecr.send(new CreateRepositoryCommand({ repositoryName, ...settings }));
  return repositoryName;
}

async function tagsOf(ecr: ECRClient, repositoryName: string, imageDigest: string): Promise<string[] | undefined> {
  const { imageDetails } = await ecr.send(new DescribeImagesCommand({ repositoryName, imageIds: [{ imageDigest }] }));
  return imageDetails?.[0]?.imageTags;
}

describe('PutImage with the AWS SDK', () => {
  let longshore: Longshore;
  let ecr: ECRClient;
  beforeAll(async () => {
    longshore = await startLongshore();
    ecr = longshore.ecr;
  });
  afterAll(() => longshore?.close());

  it('stores the exact manifest under its sha256 digest, and BatchGetImage returns it byte for byte', async () => {
    const repositoryName = await createRepository(ecr);
    const image = await pushImageBlobs(ecr, repositoryName);
    // Unusual formatting must survive: the digest is over the exact bytes.
    const manifest = `  ${JSON.stringify(JSON.parse(image.manifest), null, 3)}\n`;
    const { image: put } = await ecr.send(
      new PutImageCommand({ repositoryName, imageManifest: manifest, imageTag: 'v1' }),
    );
    expect(put).toEqual({
      registryId: REGISTRY_ID,
      repositoryName,
      imageId: { imageDigest: digestOf(Buffer.from(manifest)), imageTag: 'v1' },
      imageManifest: manifest,
      imageManifestMediaType: OCI_MANIFEST,
    });

    const got = await ecr.send(new BatchGetImageCommand({ repositoryName, imageIds: [{ imageTag: 'v1' }] }));
    expect(got.failures).toEqual([]);
    expect(got.images).toEqual([put]);
  });

  it('refuses an unchanged push with ImageAlreadyExistsException, and adds a new tag to a stored image', async () => {
    const repositoryName = await createRepository(ecr);
    const image = await pushImageBlobs(ecr, repositoryName);
    await ecr.send(new PutImageCommand({ repositoryName, imageManifest: image.manifest, imageTag: 'v1' }));

    const again = await rejectionOf(
      ecr.send(new PutImageCommand({ repositoryName, imageManifest: image.manifest, imageTag: 'v1' })),
      ImageAlreadyExistsException,
    );
    expect(httpStatusOf(again)).toBe(400);
    expect(again.message).toBe(
      `Image with digest '${image.digest}' and tag 'v1' already exists in the repository with name '${repositoryName}' in the registry with id '${REGISTRY_ID}'`,
    );
    await rejectionOf(
      ecr.send(new PutImageCommand({ repositoryName, imageManifest: image.manifest })),
      ImageAlreadyExistsException,
    );

    await ecr.send(new PutImageCommand({ repositoryName, imageManifest: image.manifest, imageTag: 'stable' }));
    expect(await tagsOf(ecr, repositoryName, image.digest)).toEqual(['stable', 'v1']);
  });

  it('moves a tag to another image in a MUTABLE repository; the old image keeps its other tags', async () => {
    const repositoryName = await createRepository(ecr);
    const first = await pushImageBlobs(ecr, repositoryName);
    const second = await pushImageBlobs(ecr, repositoryName);
    await ecr.send(new PutImageCommand({ repositoryName, imageManifest: first.manifest, imageTag: 'latest' }));
    await ecr.send(new PutImageCommand({ repositoryName, imageManifest: first.manifest, imageTag: 'v1' }));
    await ecr.send(new PutImageCommand({ repositoryName, imageManifest: second.manifest, imageTag: 'latest' }));

    expect(await tagsOf(ecr, repositoryName, first.digest)).toEqual(['v1']);
    expect(await tagsOf(ecr, repositoryName, second.digest)).toEqual(['latest']);
  });

  it('IMMUTABLE repositories refuse to move or re-put a tag (ImageTagAlreadyExistsException); PutImageTagMutability changes that', async () => {
    const repositoryName = await createRepository(ecr, { imageTagMutability: 'IMMUTABLE' });
    const first = await pushImageBlobs(ecr, repositoryName);
    const second = await pushImageBlobs(ecr, repositoryName);
    await ecr.send(new PutImageCommand({ repositoryName, imageManifest: first.manifest, imageTag: 'v1' }));

    const moved = await rejectionOf(
      ecr.send(new PutImageCommand({ repositoryName, imageManifest: second.manifest, imageTag: 'v1' })),
      ImageTagAlreadyExistsException,
    );
    expect(moved.message).toMatch(/'v1' already exists in the '.*' repository and cannot be overwritten/);
    await rejectionOf(
      ecr.send(new PutImageCommand({ repositoryName, imageManifest: first.manifest, imageTag: 'v1' })),
      ImageTagAlreadyExistsException,
    );
    // A new tag is fine, and the refused pushes changed nothing.
    await ecr.send(new PutImageCommand({ repositoryName, imageManifest: second.manifest, imageTag: 'v2' }));
    expect(await tagsOf(ecr, repositoryName, first.digest)).toEqual(['v1']);

    const changed = await ecr.send(new PutImageTagMutabilityCommand({ repositoryName, imageTagMutability: 'MUTABLE' }));
    expect(changed).toMatchObject({ registryId: REGISTRY_ID, repositoryName, imageTagMutability: 'MUTABLE' });
    await ecr.send(new PutImageCommand({ repositoryName, imageManifest: second.manifest, imageTag: 'v1' }));
    expect(await tagsOf(ecr, repositoryName, second.digest)).toEqual(['v1', 'v2']);
  });

  it('exclusion filters: IMMUTABLE_WITH_EXCLUSION leaves matching tags mutable', async () => {
    const repositoryName = await createRepository(ecr);
    const filters = [{ filterType: 'WILDCARD' as const, filter: 'dev-*' }];
    const set = await ecr.send(
      new PutImageTagMutabilityCommand({
        repositoryName,
        imageTagMutability: 'IMMUTABLE_WITH_EXCLUSION',
        imageTagMutabilityExclusionFilters: filters,
      }),
    );
    expect(set.imageTagMutabilityExclusionFilters).toEqual(filters);
    const first = await pushImageBlobs(ecr, repositoryName);
    const second = await pushImageBlobs(ecr, repositoryName);
    for (const imageTag of ['dev-1', 'release']) {
      await ecr.send(new PutImageCommand({ repositoryName, imageManifest: first.manifest, imageTag }));
    }
    await ecr.send(new PutImageCommand({ repositoryName, imageManifest: second.manifest, imageTag: 'dev-1' }));
    await rejectionOf(
      ecr.send(new PutImageCommand({ repositoryName, imageManifest: second.manifest, imageTag: 'release' })),
      ImageTagAlreadyExistsException,
    );

    // Filters belong to the *_WITH_EXCLUSION settings only.
    await rejectionOf(
      ecr.send(
        new PutImageTagMutabilityCommand({
          repositoryName,
          imageTagMutability: 'IMMUTABLE',
          imageTagMutabilityExclusionFilters: filters,
        }),
      ),
      InvalidParameterException,
    );
    await rejectionOf(
      ecr.send(new PutImageTagMutabilityCommand({ repositoryName, imageTagMutability: 'MUTABLE_WITH_EXCLUSION' })),
      InvalidParameterException,
    );
  });

  it('ImageDigestDoesNotMatchException when imageDigest is not the sha256 of the manifest', async () => {
    const repositoryName = await createRepository(ecr);
    const image = await pushImageBlobs(ecr, repositoryName);
    const wrong = digestOf(Buffer.from('something else'));
    const error = await rejectionOf(
      ecr.send(new PutImageCommand({ repositoryName, imageManifest: image.manifest, imageDigest: wrong })),
      ImageDigestDoesNotMatchException,
    );
    expect(error.message).toContain(wrong);
    const { image: put } = await ecr.send(
      new PutImageCommand({ repositoryName, imageManifest: image.manifest, imageDigest: image.digest }),
    );
    expect(put?.imageId).toEqual({ imageDigest: image.digest });
  });

  it('LayersNotFoundException names the blobs the repository does not hold, config included', async () => {
    const repositoryName = await createRepository(ecr);
    const image = await pushImageBlobs(ecr, repositoryName);
    const missingLayer = randomLayer(100);
    const missingConfig = randomLayer(50);
    const error = await rejectionOf(
      ecr.send(
        new PutImageCommand({
          repositoryName,
          imageManifest: imageManifest(missingConfig, [...image.layers, missingLayer]),
          imageTag: 'broken',
        }),
      ),
      LayersNotFoundException,
    );
    expect(error.message).toContain(missingLayer.digest);
    expect(error.message).toContain(missingConfig.digest);
    expect(error.message).not.toContain(image.layers[0]!.digest);

    // Blobs of another repository do not count.
    const other = await createRepository(ecr);
    await rejectionOf(
      ecr.send(new PutImageCommand({ repositoryName: other, imageManifest: image.manifest })),
      LayersNotFoundException,
    );
  });

  it('an index needs its child manifests in the repository (ReferencedImagesNotFoundException)', async () => {
    const repositoryName = await createRepository(ecr);
    const amd64 = await pushImageBlobs(ecr, repositoryName);
    const arm64 = await pushImageBlobs(ecr, repositoryName);
    const index = indexManifest([amd64, arm64]);
    await ecr.send(new PutImageCommand({ repositoryName, imageManifest: amd64.manifest }));

    const error = await rejectionOf(
      ecr.send(new PutImageCommand({ repositoryName, imageManifest: index, imageTag: 'multi' })),
      ReferencedImagesNotFoundException,
    );
    expect(error.message).toContain(arm64.digest);
    expect(error.message).not.toContain(amd64.digest);

    await ecr.send(new PutImageCommand({ repositoryName, imageManifest: arm64.manifest }));
    const { image } = await ecr.send(new PutImageCommand({ repositoryName, imageManifest: index, imageTag: 'multi' }));
    expect(image?.imageManifestMediaType).toBe(OCI_INDEX);
    expect(image?.imageId?.imageDigest).toBe(digestOf(Buffer.from(index)));
  });

  it('takes the media type from the manifest, from imageManifestMediaType when the manifest has none, and refuses a contradiction', async () => {
    const repositoryName = await createRepository(ecr);
    const docker = await pushImageBlobs(ecr, repositoryName, { docker: true });
    const { image } = await ecr.send(new PutImageCommand({ repositoryName, imageManifest: docker.manifest }));
    expect(image?.imageManifestMediaType).toBe(DOCKER_MANIFEST);

    const contradiction = await rejectionOf(
      ecr.send(
        new PutImageCommand({
          repositoryName,
          imageManifest: docker.manifest,
          imageManifestMediaType: OCI_MANIFEST,
          imageTag: 'x',
        }),
      ),
      InvalidParameterException,
    );
    expect(contradiction.message).toMatch(/does not match/);

    const { mediaType: _none, ...bare } = JSON.parse((await pushImageBlobs(ecr, repositoryName)).manifest);
    const { image: declared } = await ecr.send(
      new PutImageCommand({
        repositoryName,
        imageManifest: JSON.stringify(bare),
        imageManifestMediaType: OCI_MANIFEST,
      }),
    );
    expect(declared?.imageManifestMediaType).toBe(OCI_MANIFEST);
  });

  it.each([
    ['not JSON', '{"schemaVersion": 2,'],
    ['a schema 1 manifest', JSON.stringify({ schemaVersion: 1, name: 'x', tag: 'y', fsLayers: [] })],
    ['a manifest without config', JSON.stringify({ schemaVersion: 2, mediaType: OCI_MANIFEST, layers: [] })],
    [
      'a descriptor with a malformed digest',
      JSON.stringify({
        schemaVersion: 2,
        mediaType: OCI_MANIFEST,
        config: { mediaType: OCI_CONFIG, digest: 'sha256:nothex', size: 1 },
        layers: [],
      }),
    ],
  ])('InvalidParameterException for %s', async (_what, imageManifest) => {
    const repositoryName = await createRepository(ecr);
    const error = await rejectionOf(
      ecr.send(new PutImageCommand({ repositoryName, imageManifest })),
      InvalidParameterException,
    );
    expect(error.message).toMatch(/imageManifest/);
  });

  it('InvalidParameterException for a tag outside the tag grammar or a malformed imageDigest', async () => {
    const repositoryName = await createRepository(ecr);
    const image = await pushImageBlobs(ecr, repositoryName);
    const tag = await rejectionOf(
      ecr.send(new PutImageCommand({ repositoryName, imageManifest: image.manifest, imageTag: '-not/a:tag' })),
      InvalidParameterException,
    );
    expect(tag.message).toMatch(/imageTag/);
    const digest = await rejectionOf(
      ecr.send(new PutImageCommand({ repositoryName, imageManifest: image.manifest, imageDigest: 'sha256:12' })),
      InvalidParameterException,
    );
    expect(digest.message).toMatch(/imageDigest/);
  });

  it('never creates a repository: RepositoryNotFoundException', async () => {
    const source = await createRepository(ecr);
    const image = await pushImageBlobs(ecr, source);
    await rejectionOf(
      ecr.send(new PutImageCommand({ repositoryName: 'images/never-created', imageManifest: image.manifest })),
      RepositoryNotFoundException,
    );
  });
});

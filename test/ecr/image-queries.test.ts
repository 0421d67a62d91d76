import {
  BatchDeleteImageCommand,
  BatchGetImageCommand,
  CreateRepositoryCommand,
  DeleteRepositoryCommand,
  DescribeImagesCommand,
  DescribeRepositoriesCommand,
  GetDownloadUrlForLayerCommand,
  ImageNotFoundException,
  InvalidParameterException,
  ListImagesCommand,
  PutImageCommand,
  RepositoryNotEmptyException,
  RepositoryNotFoundException,
  type ECRClient,
  type ImageIdentifier,
} from '@aws-sdk/client-ecr';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  DOCKER_CONFIG,
  OCI_CONFIG,
  OCI_INDEX,
  OCI_MANIFEST,
  indexManifest,
  pushImageBlobs,
} from '../support/image-data.js';
import { digestOf } from '../support/layer-data.js';
import { startLongshore, type Longshore } from '../support/longshore-harness.js';
import { rejectionOf } from '../support/rejection.js';

const REGISTRY_ID = '000000000000';
let seq = 0;

async function createRepository(ecr: ECRClient): Promise<string> {
  seq += 1;
  const repositoryName = `images/query${seq}`;
  await ecr.send(new CreateRepositoryCommand({ repositoryName }));
  return repositoryName;
}

async function putImage(ecr: ECRClient, repositoryName: string, tags: string[], options = {}) {
  const image = await pushImageBlobs(ecr, repositoryName, options);
  if (tags.length === 0) await ecr.send(new PutImageCommand({ repositoryName, imageManifest: image.manifest }));
  for (const imageTag of tags) {
    await ecr.send(new PutImageCommand({ repositoryName, imageManifest: image.manifest, imageTag }));
  }
  return image;
}

const byKey = (a: ImageIdentifier, b: ImageIdentifier) =>
  `${a.imageDigest} ${a.imageTag ?? ''}`.localeCompare(`${b.imageDigest} ${b.imageTag ?? ''}`);

describe('image queries and deletion with the AWS SDK', () => {
  let longshore: Longshore;
  let ecr: ECRClient;
  beforeAll(async () => {
    longshore = await startLongshore();
    ecr = longshore.ecr;
  });
  afterAll(() => longshore?.close());

  it('BatchGetImage: images by tag, digest or both, and a failure per bad imageId', async () => {
    const repositoryName = await createRepository(ecr);
    const a = await putImage(ecr, repositoryName, ['a']);
    const b = await putImage(ecr, repositoryName, ['b']);
    const missing = digestOf(Buffer.from('nothing'));
    const { images, failures } = await ecr.send(
      new BatchGetImageCommand({
        repositoryName,
        imageIds: [
          { imageTag: 'a' },
          { imageTag: 'a' },
          { imageDigest: b.digest },
          { imageDigest: b.digest, imageTag: 'b' },
          { imageDigest: a.digest, imageTag: 'b' },
          { imageTag: 'nope' },
          { imageDigest: missing },
          { imageDigest: 'sha256:xyz' },
          {},
        ],
      }),
    );
    expect(images?.map((i) => [i.imageId, i.imageManifest])).toEqual([
      [{ imageDigest: a.digest, imageTag: 'a' }, a.manifest],
      [{ imageDigest: b.digest }, b.manifest],
      [{ imageDigest: b.digest, imageTag: 'b' }, b.manifest],
    ]);
    expect(failures?.map((f) => [f.imageId, f.failureCode])).toEqual([
      [{ imageDigest: a.digest, imageTag: 'b' }, 'ImageTagDoesNotMatchDigest'],
      [{ imageTag: 'nope' }, 'ImageNotFound'],
      [{ imageDigest: missing }, 'ImageNotFound'],
      [{ imageDigest: 'sha256:xyz' }, 'InvalidImageDigest'],
      [{}, 'MissingDigestAndTag'],
    ]);
    expect(failures?.every((f) => (f.failureReason ?? '').length > 0)).toBe(true);

    const accepted = await ecr.send(
      new BatchGetImageCommand({ repositoryName, imageIds: [{ imageTag: 'a' }], acceptedMediaTypes: [OCI_INDEX] }),
    );
    expect(accepted.images).toEqual([]);
    expect(accepted.failures?.[0]?.failureReason).toMatch(/acceptedMediaTypes/);
  });

  it('BatchDeleteImage: a tag removes the tag, and the image with its last tag; a digest deletes the image with every tag', async () => {
    const repositoryName = await createRepository(ecr);
    const a = await putImage(ecr, repositoryName, ['a1', 'a2', 'a3']);
    const b = await putImage(ecr, repositoryName, ['b1']);
    const c = await putImage(ecr, repositoryName, ['c1']);

    const untagged = await ecr.send(new BatchDeleteImageCommand({ repositoryName, imageIds: [{ imageTag: 'a1' }] }));
    expect(untagged).toMatchObject({ imageIds: [{ imageDigest: a.digest, imageTag: 'a1' }], failures: [] });

    const deleted = await ecr.send(
      new BatchDeleteImageCommand({
        repositoryName,
        imageIds: [{ imageDigest: a.digest }, { imageTag: 'a1' }, { imageDigest: b.digest, imageTag: 'a2' }],
      }),
    );
    expect(deleted.imageIds).toEqual([
      { imageDigest: a.digest, imageTag: 'a2' },
      { imageDigest: a.digest, imageTag: 'a3' },
    ]);
    expect(deleted.failures?.map((f) => f.failureCode)).toEqual(['ImageNotFound', 'ImageNotFound']);
    const gone = await ecr.send(new BatchGetImageCommand({ repositoryName, imageIds: [{ imageDigest: a.digest }] }));
    expect(gone.failures?.[0]?.failureCode).toBe('ImageNotFound');

    // ECR: "When you remove the last tag from an image, the image is deleted from your repository."
    const lastTag = await ecr.send(new BatchDeleteImageCommand({ repositoryName, imageIds: [{ imageTag: 'b1' }] }));
    expect(lastTag).toMatchObject({ imageIds: [{ imageDigest: b.digest, imageTag: 'b1' }], failures: [] });
    const listed = await ecr.send(new ListImagesCommand({ repositoryName, filter: { tagStatus: 'ANY' } }));
    expect(listed.imageIds).toEqual([{ imageDigest: c.digest, imageTag: 'c1' }]);
    const again = await ecr.send(
      new BatchDeleteImageCommand({ repositoryName, imageIds: [{ imageDigest: b.digest }] }),
    );
    expect(again.failures?.map((f) => f.failureCode)).toEqual(['ImageNotFound']);
    const pulled = await longshore.fetch(`/v2/${repositoryName}/manifests/${b.digest}`);
    expect(pulled.status).toBe(404);
  });

  it('BatchDeleteImage refuses an image an index lists (ImageReferencedByManifestList) until the index is gone', async () => {
    const repositoryName = await createRepository(ecr);
    const amd64 = await putImage(ecr, repositoryName, []);
    const arm64 = await putImage(ecr, repositoryName, ['arm64']);
    const index = indexManifest([amd64, arm64]);
    await ecr.send(new PutImageCommand({ repositoryName, imageManifest: index, imageTag: 'multi' }));

    const refused = await ecr.send(
      new BatchDeleteImageCommand({ repositoryName, imageIds: [{ imageDigest: amd64.digest }] }),
    );
    expect(refused.failures?.map((f) => f.failureCode)).toEqual(['ImageReferencedByManifestList']);
    // Its last tag would take the image with it: refused too, and the tag stays.
    const lastTag = await ecr.send(new BatchDeleteImageCommand({ repositoryName, imageIds: [{ imageTag: 'arm64' }] }));
    expect(lastTag.failures?.map((f) => f.failureCode)).toEqual(['ImageReferencedByManifestList']);
    const tagged = await ecr.send(new BatchGetImageCommand({ repositoryName, imageIds: [{ imageTag: 'arm64' }] }));
    expect(tagged.images?.[0]?.imageId?.imageDigest).toBe(arm64.digest);

    await ecr.send(new BatchDeleteImageCommand({ repositoryName, imageIds: [{ imageTag: 'multi' }] }));
    const deleted = await ecr.send(
      new BatchDeleteImageCommand({ repositoryName, imageIds: [{ imageDigest: amd64.digest }, { imageTag: 'arm64' }] }),
    );
    expect(deleted.imageIds).toEqual([{ imageDigest: amd64.digest }, { imageDigest: arm64.digest, imageTag: 'arm64' }]);
    expect((await ecr.send(new ListImagesCommand({ repositoryName }))).imageIds).toEqual([]);
  });

  it('DescribeImages reports digest, tags, size, push time and media types', async () => {
    const repositoryName = await createRepository(ecr);
    const before = Date.now();
    const oci = await putImage(ecr, repositoryName, ['v2', 'latest'], { layerSizes: [1000, 3000, 5000] });
    const docker = await putImage(ecr, repositoryName, ['v1'], { docker: true, layerSizes: [7000] });
    const index = indexManifest([oci, docker]);
    await ecr.send(new PutImageCommand({ repositoryName, imageManifest: index }));
    const after = Date.now();

    const { imageDetails } = await ecr.send(new DescribeImagesCommand({ repositoryName }));
    const byDigest = new Map(imageDetails?.map((d) => [d.imageDigest, d]));
    expect(byDigest.get(oci.digest)).toMatchObject({
      registryId: REGISTRY_ID,
      repositoryName,
      imageDigest: oci.digest,
      imageTags: ['latest', 'v2'],
      imageSizeInBytes: 9000,
      imageManifestMediaType: OCI_MANIFEST,
      artifactMediaType: OCI_CONFIG,
    });
    expect(byDigest.get(docker.digest)).toMatchObject({ imageSizeInBytes: 7000, artifactMediaType: DOCKER_CONFIG });
    const indexDetail = byDigest.get(digestOf(Buffer.from(index)));
    expect(indexDetail?.imageTags).toBeUndefined();
    expect(indexDetail?.imageManifestMediaType).toBe(OCI_INDEX);
    expect(indexDetail?.imageSizeInBytes).toBe(9000); // the largest image it lists
    for (const detail of imageDetails ?? []) {
      const pushedAt = detail.imagePushedAt!.getTime();
      expect(pushedAt).toBeGreaterThanOrEqual(Math.floor(before / 1000) * 1000);
      expect(pushedAt).toBeLessThanOrEqual(after);
    }

    const tagged = await ecr.send(new DescribeImagesCommand({ repositoryName, filter: { tagStatus: 'TAGGED' } }));
    expect(tagged.imageDetails?.map((d) => d.imageDigest).sort()).toEqual([oci.digest, docker.digest].sort());
    const untagged = await ecr.send(new DescribeImagesCommand({ repositoryName, filter: { tagStatus: 'UNTAGGED' } }));
    expect(untagged.imageDetails?.map((d) => d.imageDigest)).toEqual([indexDetail?.imageDigest]);

    const one = await ecr.send(new DescribeImagesCommand({ repositoryName, imageIds: [{ imageTag: 'v1' }] }));
    expect(one.imageDetails?.map((d) => [d.imageDigest, d.imageTags])).toEqual([[docker.digest, ['v1']]]);
  });

  it('DescribeImages: ImageNotFoundException for a missing imageId, InvalidParameterException for imageIds with paging', async () => {
    const repositoryName = await createRepository(ecr);
    await putImage(ecr, repositoryName, ['v1']);
    const error = await rejectionOf(
      ecr.send(new DescribeImagesCommand({ repositoryName, imageIds: [{ imageTag: 'v1' }, { imageTag: 'nope' }] })),
      ImageNotFoundException,
    );
    expect(error.message).toContain("imageTag:'nope'");
    await rejectionOf(
      ecr.send(new DescribeImagesCommand({ repositoryName, imageIds: [{ imageTag: 'v1' }], maxResults: 5 })),
      InvalidParameterException,
    );
    await rejectionOf(
      ecr.send(new DescribeImagesCommand({ repositoryName: 'images/none' })),
      RepositoryNotFoundException,
    );
  });

  it('ListImages and DescribeImages page with nextToken and maxResults, and filter by tagStatus', async () => {
    const repositoryName = await createRepository(ecr);
    const images = [
      await putImage(ecr, repositoryName, ['t1', 't2']),
      await putImage(ecr, repositoryName, ['t3']),
      await putImage(ecr, repositoryName, []),
      await putImage(ecr, repositoryName, ['t4', 't5', 't6']),
      await putImage(ecr, repositoryName, []),
    ];
    const collect = async (filter?: { tagStatus: 'TAGGED' | 'UNTAGGED' | 'ANY' }) => {
      const ids: ImageIdentifier[] = [];
      let nextToken: string | undefined;
      let pages = 0;
      do {
        const page = await ecr.send(new ListImagesCommand({ repositoryName, maxResults: 2, nextToken, filter }));
        expect(page.imageIds!.length).toBeLessThanOrEqual(2);
        ids.push(...page.imageIds!);
        nextToken = page.nextToken;
        pages += 1;
      } while (nextToken);
      return { ids, pages };
    };
    const tagMap: Record<string, string> = {};
    images.forEach((image, i) => {
      for (const t of [['t1', 't2'], ['t3'], [], ['t4', 't5', 't6'], []][i]!) tagMap[t] = image.digest;
    });
    const expectedTagged = Object.entries(tagMap).map(([imageTag, imageDigest]) => ({ imageDigest, imageTag }));
    const expectedUntagged = [images[2]!, images[4]!].map((i) => ({ imageDigest: i.digest }));

    const all = await collect();
    expect(all.ids.slice().sort(byKey)).toEqual([...expectedTagged, ...expectedUntagged].sort(byKey));
    expect(all.ids).toEqual(all.ids.slice().sort(byKey));
    expect(all.pages).toBe(4);
    expect((await collect({ tagStatus: 'TAGGED' })).ids.sort(byKey)).toEqual(expectedTagged.sort(byKey));
    expect((await collect({ tagStatus: 'UNTAGGED' })).ids.sort(byKey)).toEqual(expectedUntagged.sort(byKey));

    const digests: string[] = [];
    let nextToken: string | undefined;
    do {
      const page = await ecr.send(new DescribeImagesCommand({ repositoryName, maxResults: 2, nextToken }));
      digests.push(...page.imageDetails!.map((d) => d.imageDigest!));
      nextToken = page.nextToken;
    } while (nextToken);
    expect(digests).toEqual(images.map((i) => i.digest).sort());

    await rejectionOf(
      ecr.send(new ListImagesCommand({ repositoryName, nextToken: 'bm90IGEgdG9rZW4' })),
      InvalidParameterException,
    );
  });

  it('GetDownloadUrlForLayer serves the config and layers of an image, also after the image is deleted', async () => {
    const repositoryName = await createRepository(ecr);
    const image = await putImage(ecr, repositoryName, ['v1']);
    await ecr.send(
      new BatchDeleteImageCommand({ repositoryName, imageIds: [{ imageTag: 'v1' }, { imageDigest: image.digest }] }),
    );
    for (const blob of [image.config, ...image.layers]) {
      const { downloadUrl } = await ecr.send(
        new GetDownloadUrlForLayerCommand({ repositoryName, layerDigest: blob.digest }),
      );
      const response = await longshore.fetch(downloadUrl!);
      expect(Buffer.from(await response.arrayBuffer()).equals(blob.bytes)).toBe(true);
    }
  });

  it('DeleteRepository: RepositoryNotEmptyException while it holds images; force drops them', async () => {
    const repositoryName = await createRepository(ecr);
    const image = await putImage(ecr, repositoryName, ['v1']);
    await rejectionOf(ecr.send(new DeleteRepositoryCommand({ repositoryName })), RepositoryNotEmptyException);
    expect((await ecr.send(new DescribeImagesCommand({ repositoryName }))).imageDetails).toHaveLength(1);

    await ecr.send(new DeleteRepositoryCommand({ repositoryName, force: true }));
    await rejectionOf(
      ecr.send(new DescribeRepositoriesCommand({ repositoryNames: [repositoryName] })),
      RepositoryNotFoundException,
    );
    // A new repository of the same name starts empty.
    await ecr.send(new CreateRepositoryCommand({ repositoryName }));
    expect((await ecr.send(new ListImagesCommand({ repositoryName }))).imageIds).toEqual([]);
    const got = await ecr.send(new BatchGetImageCommand({ repositoryName, imageIds: [{ imageDigest: image.digest }] }));
    expect(got.failures?.[0]?.failureCode).toBe('ImageNotFound');
  });
});

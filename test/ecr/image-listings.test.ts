import {
  BatchDeleteImageCommand,
  CreateRepositoryCommand,
  DescribeImagesCommand,
  ListImagesCommand,
  PutImageCommand,
  type ECRClient,
  type ImageIdentifier,
  type TagStatus,
} from '@aws-sdk/client-ecr';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { imageManifest } from '../support/image-data.js';
import { digestOf, pushLayer, randomLayer } from '../support/layer-data.js';
import { startLongshore, type Longshore } from '../support/longshore-harness.js';

interface Pushed {
  digest: string;
  tags: string[];
}

const IMAGES = 300;
const FILTERS: (TagStatus | undefined)[] = [undefined, 'ANY', 'TAGGED', 'UNTAGGED'];

const keyOf = (id: ImageIdentifier) => `${id.imageDigest} ${id.imageTag ?? ''}`;
const inOrder = (keys: string[]) => [...keys].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));

function selects(filter: TagStatus | undefined, image: Pushed): boolean {
  if (filter === 'TAGGED') return image.tags.length > 0;
  if (filter === 'UNTAGGED') return image.tags.length === 0;
  return true;
}

/** ListImages' entries for `images`, in ListImages' order ("<digest> <tag>", untagged "<digest> "). */
function listedKeys(images: Pushed[], filter: TagStatus | undefined): string[] {
  return inOrder(
    images
      .filter((i) => selects(filter, i))
      .flatMap((i) => (i.tags.length === 0 ? [`${i.digest} `] : i.tags.map((t) => `${i.digest} ${t}`))),
  );
}

async function listAll(ecr: ECRClient, repositoryName: string, filter: TagStatus | undefined, maxResults: number) {
  const keys: string[] = [];
  let nextToken: string | undefined;
  do {
    const page = await ecr.send(
      new ListImagesCommand({
        repositoryName,
        maxResults,
        nextToken,
        ...(filter ? { filter: { tagStatus: filter } } : {}),
      }),
    );
    expect(page.imageIds!.length).toBeLessThanOrEqual(maxResults);
    keys.push(...page.imageIds!.map(keyOf));
    nextToken = page.nextToken;
  } while (nextToken);
  return keys;
}

async function describeAll(ecr: ECRClient, repositoryName: string, filter: TagStatus | undefined, maxResults: number) {
  const images: Pushed[] = [];
  let nextToken: string | undefined;
  do {
    const page = await ecr.send(
      new DescribeImagesCommand({
        repositoryName,
        maxResults,
        nextToken,
        ...(filter ? { filter: { tagStatus: filter } } : {}),
      }),
    );
    expect(page.imageDetails!.length).toBeLessThanOrEqual(maxResults);
    images.push(...page.imageDetails!.map((d) => ({ digest: d.imageDigest!, tags: d.imageTags ?? [] })));
    nextToken = page.nextToken;
  } while (nextToken);
  return images;
}

/** ListImages and DescribeImages page through a repository of a few hundred images from its ordered index. */
describe('ListImages and DescribeImages paging across hundreds of images (AWS SDK)', () => {
  let longshore: Longshore;
  let ecr: ECRClient;
  let seq = 0;

  beforeAll(async () => {
    longshore = await startLongshore();
    ecr = longshore.ecr;
  });
  afterAll(() => longshore?.close());

  /** IMAGES images sharing one config and layer: a third untagged, a third with one tag, a third with two. */
  async function pushRepository(): Promise<{ repositoryName: string; images: Pushed[] }> {
    seq += 1;
    const repositoryName = `listings/paging${seq}`;
    await ecr.send(new CreateRepositoryCommand({ repositoryName }));
    const config = randomLayer(128);
    const layer = randomLayer(512);
    for (const blob of [config, layer]) await pushLayer(ecr, repositoryName, blob);
    const images: Pushed[] = [];
    for (let start = 0; start < IMAGES; start += 20) {
      const batch = Array.from({ length: Math.min(20, IMAGES - start) }, (_, j) => start + j);
      images.push(
        ...(await Promise.all(
          batch.map(async (i) => {
            const imageManifest_ = imageManifest(config, [layer], { annotations: { n: String(i) } });
            const tags = i % 3 === 0 ? [] : i % 3 === 1 ? [`build-${i}`] : [`build-${i}`, `v${i}`];
            if (tags.length === 0)
              await ecr.send(new PutImageCommand({ repositoryName, imageManifest: imageManifest_ }));
            for (const imageTag of tags) {
              await ecr.send(new PutImageCommand({ repositoryName, imageManifest: imageManifest_, imageTag }));
            }
            return { digest: digestOf(Buffer.from(imageManifest_)), tags: tags.sort() };
          }),
        )),
      );
    }
    return { repositoryName, images };
  }

  it('every tagStatus filter pages through every entry exactly once, in digest-then-tag order', async () => {
    const { repositoryName, images } = await pushRepository();
    for (const filter of FILTERS) {
      const listed = await listAll(ecr, repositoryName, filter, 37);
      expect(listed, `ListImages ${filter}`).toEqual(listedKeys(images, filter));

      const described = await describeAll(ecr, repositoryName, filter, 23);
      const expected = images
        .filter((i) => selects(filter, i))
        .sort((a, b) => (a.digest < b.digest ? -1 : 1))
        .map((i) => ({ digest: i.digest, tags: i.tags }));
      expect(described, `DescribeImages ${filter}`).toEqual(expected);
    }
    // Without maxResults, pages hold ECR's 100.
    const first = await ecr.send(new ListImagesCommand({ repositoryName }));
    expect(first.imageIds).toHaveLength(100);
    expect(first.nextToken).toBeDefined();
  });

  it('a nextToken keeps its place when images before and after it are deleted between pages', async () => {
    const { repositoryName, images } = await pushRepository();
    const all = listedKeys(images, undefined);
    const firstPage = await ecr.send(new ListImagesCommand({ repositoryName, maxResults: 60 }));
    const seen = firstPage.imageIds!.map(keyOf);
    expect(seen).toEqual(all.slice(0, 60));

    const digestsSeen = new Set(seen.map((k) => k.split(' ')[0]!));
    const before = images.filter((i) => digestsSeen.has(i.digest)).slice(0, 5);
    const after = images.filter((i) => !digestsSeen.has(i.digest)).slice(0, 15);
    const describedFirst = await ecr.send(new DescribeImagesCommand({ repositoryName, maxResults: 40 }));
    const describedSeen = describedFirst.imageDetails!.map((d) => d.imageDigest!);

    const deleted = await ecr.send(
      new BatchDeleteImageCommand({
        repositoryName,
        imageIds: [...before, ...after].map((i) => ({ imageDigest: i.digest })),
      }),
    );
    expect(deleted.failures).toEqual([]);
    const gone = new Set([...before, ...after].map((i) => i.digest));
    const remaining = images.filter((i) => !gone.has(i.digest));

    const rest: string[] = [];
    let nextToken = firstPage.nextToken;
    while (nextToken) {
      const page = await ecr.send(new ListImagesCommand({ repositoryName, maxResults: 60, nextToken }));
      rest.push(...page.imageIds!.map(keyOf));
      nextToken = page.nextToken;
    }
    expect(rest).toEqual(listedKeys(remaining, undefined).filter((k) => k > seen[seen.length - 1]!));

    const describedRest: string[] = [];
    nextToken = describedFirst.nextToken;
    while (nextToken) {
      const page = await ecr.send(new DescribeImagesCommand({ repositoryName, maxResults: 40, nextToken }));
      describedRest.push(...page.imageDetails!.map((d) => d.imageDigest!));
      nextToken = page.nextToken;
    }
    const lastSeen = describedSeen[describedSeen.length - 1]!;
    expect(describedRest).toEqual(
      remaining
        .map((i) => i.digest)
        .filter((d) => d > lastSeen)
        .sort(),
    );
  });
});

import { execFile } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import {
  BatchGetImageCommand,
  CreatePullThroughCacheRuleCommand,
  CreateRepositoryCommand,
  DeletePullThroughCacheRuleCommand,
  DescribeImagesCommand,
  DescribePullThroughCacheRulesCommand,
  DescribeRepositoriesCommand,
  PutImageCommand,
  RepositoryNotFoundException,
} from '@aws-sdk/client-ecr';
import { expect } from 'vitest';
import { StorageRecords } from '@longshore/metadata';
import { downloadedDigest } from './download-layer.js';
import { indexManifest, pushImageBlobs, type PushedImage } from './image-data.js';
import { MiB } from './layer-data.js';
import type { Longshore } from './longshore-harness.js';
import { writeOciLayout } from './oci-layout.js';
import { requireOsTool } from './os-tools.js';
import { skopeoCopy, skopeoEnv } from './skopeo.js';

const run = promisify(execFile);
const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
/** The admin command line, as `npx longshore` runs it. */
export const longshoreCli = path.join(root, 'apps/cli/bin/longshore.js');

/** Runs `longshore <args>` with the service's settings; its stdout parsed as JSON (pass --json). */
export async function runCli(env: Record<string, string>, args: string[]): Promise<unknown> {
  const { stdout } = await run(process.execPath, [longshoreCli, ...args], { env, maxBuffer: 16 * MiB });
  return JSON.parse(stdout);
}

/** Everything a client can read about the registry, in a stable order, to compare before and after. */
async function registryView(longshore: Longshore, repositories: string[]) {
  const described = await longshore.ecr.send(new DescribeRepositoriesCommand({ repositoryNames: repositories }));
  const images: Record<string, unknown> = {};
  const tags: Record<string, unknown> = {};
  for (const repositoryName of repositories) {
    const page = await longshore.ecr.send(new DescribeImagesCommand({ repositoryName }));
    images[repositoryName] = (page.imageDetails ?? [])
      .map((d) => ({ ...d, imageTags: [...(d.imageTags ?? [])].sort() }))
      .sort((a, b) => a.imageDigest!.localeCompare(b.imageDigest!));
    tags[repositoryName] = await (await longshore.fetch(`/v2/${repositoryName}/tags/list`)).json();
  }
  const repositoriesSeen = (described.repositories ?? []).sort((a, b) =>
    a.repositoryName!.localeCompare(b.repositoryName!),
  );
  const rules = await longshore.ecr.send(new DescribePullThroughCacheRulesCommand({}));
  return { repositories: repositoriesSeen, images, tags, pullThroughCacheRules: rules.pullThroughCacheRules };
}

/**
 * The Redis-loss acceptance scenario of issue 18: push images through both doors (the ECR API
 * and skopeo on /v2), lose every key in Redis (`flushAll`), run `longshore rebuild-index`, and
 * then every image pulls (through both doors) and DescribeImages answers exactly what it did.
 */
export async function rebuildAfterRedisLoss(longshore: Longshore, flushAll: () => Promise<void>): Promise<void> {
  const skopeo = await requireOsTool('skopeo');
  const work = await mkdtemp(path.join(os.tmpdir(), 'longshore-rebuild-'));
  try {
    const token = await longshore.loginToken();
    const registry = longshore.endpoint.replace(/^http:\/\//, '');
    const creds = `AWS:${token}`;
    const copy = (from: string, to: string) => skopeoCopy(skopeo, work, from, to, { src: creds, dest: creds });

    // The ECR door: two images, an index listing both, and a nested repository.
    const ecrRepository = 'rebuild/app';
    const nested = 'rebuild/app/tools';
    await longshore.ecr.send(
      new CreateRepositoryCommand({
        repositoryName: ecrRepository,
        imageTagMutability: 'IMMUTABLE',
        tags: [{ Key: 'team', Value: 'platform' }],
      }),
    );
    await longshore.ecr.send(new CreateRepositoryCommand({ repositoryName: nested }));
    const pushed: { repositoryName: string; image: PushedImage; tag: string }[] = [];
    for (const [repositoryName, tag] of [
      [ecrRepository, 'v1'],
      [ecrRepository, 'v2'],
      [nested, 'latest'],
    ] as const) {
      const image = await pushImageBlobs(longshore.ecr, repositoryName);
      await longshore.ecr.send(new PutImageCommand({ repositoryName, imageManifest: image.manifest, imageTag: tag }));
      pushed.push({ repositoryName, image, tag });
    }
    const index = indexManifest(
      pushed.slice(0, 2).map((p) => ({ digest: p.image.digest, manifest: p.image.manifest })),
    );
    await longshore.ecr.send(
      new PutImageCommand({ repositoryName: ecrRepository, imageManifest: index, imageTag: 'multi' }),
    );

    // The /v2 door: skopeo pushes an OCI image (the repository is created on push).
    const ociRepository = 'rebuild/skopeo';
    const layout = path.join(work, 'image-in');
    const ociImage = await writeOciLayout(layout, 'v1', [
      { architecture: 'amd64', os: 'linux', layerSizes: [64 * 1024, MiB] },
    ]);
    await copy(`oci:${layout}:v1`, `docker://${registry}/${ociRepository}:v1`);

    // Pull-through cache rules (issue 20): kept in the storage as well; a deleted one stays deleted.
    for (const [prefix, upstreamRepositoryPrefix] of [
      ['hub', undefined],
      ['quay-mirror', 'mirrored'],
      ['dropped', undefined],
    ] as const) {
      await longshore.ecr.send(
        new CreatePullThroughCacheRuleCommand({
          ecrRepositoryPrefix: prefix,
          upstreamRegistryUrl: 'http://127.0.0.1:9/',
          ...(upstreamRepositoryPrefix ? { upstreamRepositoryPrefix } : {}),
        }),
      );
    }
    await longshore.ecr.send(new DeletePullThroughCacheRuleCommand({ ecrRepositoryPrefix: 'dropped' }));

    const repositories = [ecrRepository, nested, ociRepository];
    const before = await registryView(longshore, repositories);
    expect(before.pullThroughCacheRules?.map((r) => r.ecrRepositoryPrefix)).toEqual(['hub', 'quay-mirror']);

    // Every record is in the storage when its push is answered; a store whose listings lag
    // behind writes (Swift) may list them a little later, and the rebuild walks listings.
    const records = new StorageRecords(longshore.storage.driver);
    const listed = async () => {
      let images = 0;
      for (const name of repositories) for await (const batch of records.images(name)) images += batch.length;
      return {
        repositories: (await records.repositoryDirectories()).length,
        images,
        pullThroughRules: (await records.pullThroughRules()).size,
      };
    };
    await expect
      .poll(listed, { timeout: 60_000, interval: 100 })
      .toEqual({ repositories: 3, images: 5, pullThroughRules: 2 });

    await flushAll();
    // Redis knows nothing any more: the registry is empty until the index is rebuilt.
    await expect(
      longshore.ecr.send(new DescribeImagesCommand({ repositoryName: ecrRepository })),
    ).rejects.toBeInstanceOf(RepositoryNotFoundException);
    expect((await longshore.ecr.send(new DescribePullThroughCacheRulesCommand({}))).pullThroughCacheRules).toEqual([]);

    const summary = await runCli(longshore.env, ['rebuild-index', '--json']);
    expect(summary).toMatchObject({
      repositories: 3,
      images: 5,
      tags: 5,
      missingBlobs: [],
      danglingTags: [],
      pullThroughRules: 2,
    });

    expect(await registryView(longshore, repositories)).toEqual(before);

    // Every image pulls, through the ECR door and /v2.
    for (const { repositoryName, image, tag } of pushed) {
      const got = await longshore.ecr.send(new BatchGetImageCommand({ repositoryName, imageIds: [{ imageTag: tag }] }));
      expect(got.images?.[0]?.imageManifest).toBe(image.manifest);
      for (const blob of [image.config, ...image.layers]) {
        const digest = await downloadedDigest(
          longshore.ecr,
          (url) => longshore.fetch(url),
          repositoryName,
          blob.digest,
        );
        expect(digest).toBe(blob.digest);
      }
    }
    const out = path.join(work, 'image-out');
    await copy(`docker://${registry}/${ociRepository}:v1`, `oci:${out}:v1`);
    const { stdout } = await run(skopeo, ['inspect', '--raw', `oci:${out}:v1`], { env: skopeoEnv(work) });
    expect(stdout.length).toBe(ociImage.size);
    await copy(`docker://${registry}/${ecrRepository}:v1`, `oci:${path.join(work, 'ecr-out')}:v1`);

    // The registry goes on: an immutable tag stays immutable, a new push lands.
    await expect(
      longshore.ecr.send(
        new PutImageCommand({
          repositoryName: ecrRepository,
          imageManifest: pushed[1]!.image.manifest,
          imageTag: 'v1',
        }),
      ),
    ).rejects.toMatchObject({ name: 'ImageTagAlreadyExistsException' });
    const next = await pushImageBlobs(longshore.ecr, nested);
    await longshore.ecr.send(
      new PutImageCommand({ repositoryName: nested, imageManifest: next.manifest, imageTag: 'v2' }),
    );
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}

import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import {
  BatchGetImageCommand,
  CreateRepositoryCommand,
  DescribeImagesCommand,
  ListImagesCommand,
  PutImageCommand,
  PutLifecyclePolicyCommand,
  type ImageDetail,
} from '@aws-sdk/client-ecr';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { imageManifest, pushImageBlobs, type PushedImage } from '../support/image-data.js';
import { digestOf } from '../support/layer-data.js';
import { startLongshore, type Longshore } from '../support/longshore-harness.js';
import { sampleSum, scrapeMetrics } from '../support/prometheus-text.js';

const DAY_MS = 86_400_000;
const INTERVAL_MS = 300_000;
const RECORDED = 'longshore_image_pulls_recorded_total';

describe('recorded pulls: DescribeImages lastRecordedPullTime and sinceImagePulled', () => {
  let longshore: Longshore;
  let clockDir: string;
  let clockFile: string;
  let offset = 0;
  let seq = 0;

  /** Moves the services' clock (they read CLOCK_OFFSET_FILE on every look at the time). */
  const moveClock = async (offsetMs: number) => {
    offset = offsetMs;
    await writeFile(clockFile, String(offsetMs));
  };
  const recorded = async () => sampleSum(await scrapeMetrics(longshore.metricsUrl), RECORDED);

  async function repository(): Promise<{ repositoryName: string; blobs: PushedImage }> {
    seq += 1;
    const repositoryName = `pulls/repo${seq}`;
    await longshore.ecr.send(new CreateRepositoryCommand({ repositoryName }));
    return { repositoryName, blobs: await pushImageBlobs(longshore.ecr, repositoryName) };
  }

  async function putImage(repositoryName: string, blobs: PushedImage, name: string, tag: string): Promise<string> {
    const manifest = imageManifest(blobs.config, blobs.layers, { annotations: { name } });
    await longshore.ecr.send(new PutImageCommand({ repositoryName, imageManifest: manifest, imageTag: tag }));
    return digestOf(Buffer.from(manifest));
  }

  async function detail(repositoryName: string, imageDigest: string): Promise<ImageDetail> {
    const byId = await longshore.ecr.send(new DescribeImagesCommand({ repositoryName, imageIds: [{ imageDigest }] }));
    const listed = await longshore.ecr.send(new DescribeImagesCommand({ repositoryName }));
    const fromList = listed.imageDetails?.find((d) => d.imageDigest === imageDigest);
    // Both forms of DescribeImages answer the same pull time.
    expect(fromList?.lastRecordedPullTime?.getTime()).toBe(byId.imageDetails?.[0]?.lastRecordedPullTime?.getTime());
    return byId.imageDetails![0]!;
  }

  const pullV2 = async (repositoryName: string, reference: string) => {
    const response = await longshore.fetch(`/v2/${repositoryName}/manifests/${reference}`);
    expect(response.status).toBe(200);
    await response.arrayBuffer();
  };
  const pullEcr = async (repositoryName: string, imageDigest: string) => {
    const got = await longshore.ecr.send(new BatchGetImageCommand({ repositoryName, imageIds: [{ imageDigest }] }));
    expect(got.images).toHaveLength(1);
  };

  beforeAll(async () => {
    clockDir = await mkdtemp(path.join(os.tmpdir(), 'longshore-clock-'));
    clockFile = path.join(clockDir, 'offset');
    await writeFile(clockFile, '0');
    longshore = await startLongshore({
      env: {
        CLOCK_OFFSET_FILE: clockFile,
        LIFECYCLE_INTERVAL_SECONDS: '1',
        PULL_RECORD_INTERVAL_SECONDS: String(INTERVAL_MS / 1000),
      },
    });
  });
  afterAll(async () => {
    await longshore?.close();
    if (clockDir) await rm(clockDir, { recursive: true, force: true });
  });

  it('a manifest pull through either door is recorded, once per interval, and DescribeImages reports it', async () => {
    const { repositoryName, blobs } = await repository();
    const digest = await putImage(repositoryName, blobs, 'one', 'v1');
    expect((await detail(repositoryName, digest)).lastRecordedPullTime).toBeUndefined();
    const writesBefore = await recorded();

    const before = Date.now() + offset;
    await pullV2(repositoryName, 'v1');
    await vi.waitFor(
      async () => expect((await detail(repositoryName, digest)).lastRecordedPullTime).toBeDefined(),
      20_000,
    );
    const first = (await detail(repositoryName, digest)).lastRecordedPullTime!.getTime();
    expect(first).toBeGreaterThanOrEqual(Math.floor(before / 1000) * 1000);
    expect(first).toBeLessThanOrEqual(Date.now() + offset);

    // More pulls within the interval, by tag, by digest and with BatchGetImage: nothing is written.
    await pullV2(repositoryName, 'v1');
    await pullV2(repositoryName, digest);
    await pullEcr(repositoryName, digest);
    await longshore.ecr.send(new BatchGetImageCommand({ repositoryName, imageIds: [{ imageTag: 'v1' }] }));

    // Once the interval has passed, the next pull (BatchGetImage this time) is written. The writes
    // go over one connection in order, so a write of an earlier pull would have landed before it.
    await moveClock(offset + INTERVAL_MS + 1_000);
    await pullEcr(repositoryName, digest);
    await vi.waitFor(
      async () => expect((await detail(repositoryName, digest)).lastRecordedPullTime!.getTime()).toBeGreaterThan(first),
      20_000,
    );
    expect(await recorded()).toBe(writesBefore + 2);
    // A HEAD is not a pull.
    const head = await longshore.fetch(`/v2/${repositoryName}/manifests/v1`, { method: 'HEAD' });
    expect(head.status).toBe(200);
    expect(await recorded()).toBe(writesBefore + 2);
  });

  it('sinceImagePulled expires an image not pulled for the given days and keeps one pulled recently', async () => {
    const { repositoryName, blobs } = await repository();
    const pulled = await putImage(repositoryName, blobs, 'pulled', 'pulled');
    const idle = await putImage(repositoryName, blobs, 'idle', 'idle');
    // Two days on, only one of them is pulled.
    await moveClock(offset + 2 * DAY_MS);
    await pullV2(repositoryName, 'pulled');
    await vi.waitFor(
      async () =>
        expect((await detail(repositoryName, pulled)).lastRecordedPullTime!.getTime()).toBeGreaterThan(
          Date.now() + DAY_MS,
        ),
      20_000,
    );
    const policy = {
      rules: [
        {
          rulePriority: 1,
          description: 'Expire images nobody pulled for a day',
          selection: { tagStatus: 'any', countType: 'sinceImagePulled', countUnit: 'days', countNumber: 1 },
          action: { type: 'expire' },
        },
      ],
    };
    await longshore.ecr.send(
      new PutLifecyclePolicyCommand({ repositoryName, lifecyclePolicyText: JSON.stringify(policy, null, 2) }),
    );
    await vi.waitFor(
      async () => {
        const ids = (await longshore.ecr.send(new ListImagesCommand({ repositoryName }))).imageIds ?? [];
        expect(ids.map((i) => i.imageDigest)).toEqual([pulled]);
      },
      { timeout: 20_000 },
    );
    expect(idle).not.toBe(pulled);
  });
});

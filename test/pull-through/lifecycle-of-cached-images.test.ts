import { createHash } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import {
  CreatePullThroughCacheRuleCommand,
  DescribeImagesCommand,
  GetLifecyclePolicyCommand,
  PutLifecyclePolicyCommand,
} from '@aws-sdk/client-ecr';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { startLongshore, type Longshore } from '../support/longshore-harness.js';
import { notRunGate } from '../support/not-run.js';
import { layoutBlobDigests, ociMediaTypes, writeOciLayout } from '../support/oci-layout.js';
import { requireOsTool } from '../support/os-tools.js';
import {
  skopeoCopy,
  startUpstreamRegistry,
  type UpstreamRegistry,
  upstreamRegistryBinary,
} from '../support/upstream-registry.js';

const KiB = 1024;
const DAY_MS = 86_400_000;
const manifestAccept = [ociMediaTypes.index, ociMediaTypes.manifest].join(', ');

// Issue 20: "the lifecycle policies treat cached images like any other". An image pulled through
// a rule is an ordinary image of its repository: a lifecycle policy the workers apply expires it,
// and the next pull brings it in again from the upstream.
describe('lifecycle policies on images cached by a pull-through cache rule', () => {
  let upstream: UpstreamRegistry;
  let longshore: Longshore;
  let work: string;
  let clockFile: string;

  const gate = notRunGate('pull-through cache');
  /** Moves the services' clock: they read CLOCK_OFFSET_FILE on every look at the time. */
  const moveClock = (offsetMs: number) => writeFile(clockFile, String(offsetMs));

  beforeAll(async () => {
    const tool = await upstreamRegistryBinary();
    if (tool.path === undefined) {
      gate.absent(tool.absent);
      return;
    }
    work = await mkdtemp(path.join(os.tmpdir(), 'longshore-ptc-lifecycle-'));
    clockFile = path.join(work, 'clock-offset');
    await moveClock(0);
    upstream = await startUpstreamRegistry();
    longshore = await startLongshore({ env: { CLOCK_OFFSET_FILE: clockFile, LIFECYCLE_INTERVAL_SECONDS: '1' } });
    await longshore.ecr.send(
      new CreatePullThroughCacheRuleCommand({
        ecrRepositoryPrefix: 'hub',
        upstreamRegistryUrl: `http://${upstream.host}`,
      }),
    );
  }, 120_000);
  afterAll(async () => {
    await longshore?.close();
    await upstream?.stop();
    if (work) await rm(work, { recursive: true, force: true });
  });

  /** Pulls `hub/<repository>:<tag>` over /v2: the manifest, then every blob; answers the digests received. */
  async function pull(repository: string, tag: string) {
    const manifest = await longshore.fetch(`/v2/hub/${repository}/manifests/${tag}`, {
      headers: { Accept: manifestAccept },
    });
    expect(manifest.status).toBe(200);
    const bytes = Buffer.from(await manifest.arrayBuffer());
    const body = JSON.parse(bytes.toString('utf8')) as { config: { digest: string }; layers: { digest: string }[] };
    const blobs = await Promise.all(
      [body.config.digest, ...body.layers.map((l) => l.digest)].map(async (digest) => {
        const blob = await longshore.fetch(`/v2/hub/${repository}/blobs/${digest}`);
        expect(blob.status).toBe(200);
        return `sha256:${createHash('sha256')
          .update(Buffer.from(await blob.arrayBuffer()))
          .digest('hex')}`;
      }),
    );
    return { digest: `sha256:${createHash('sha256').update(bytes).digest('hex')}`, blobs: blobs.sort() };
  }

  const manifestGets = (repository: string, tag: string) =>
    upstream.accessLog().filter((l) => l.includes(`"GET /v2/${repository}/manifests/${tag} `) && / 200 /.test(l))
      .length;

  async function settledLog(): Promise<void> {
    const marker = `/v2/?marker=${Math.random().toString(36).slice(2)}`;
    await fetch(`${upstream.url}${marker}`).catch(() => undefined);
    await vi.waitFor(() => expect(upstream.accessLog().some((l) => l.includes(marker))).toBe(true), 20_000);
  }

  it('a policy expires a cached image like any other; the next pull fetches it again from the upstream', async ({
    annotate,
  }) => {
    if (await gate.notRun({ annotate })) return;
    const skopeo = await requireOsTool('skopeo');
    const layout = path.join(work, 'layout');
    const image = await writeOciLayout(layout, '1', [
      { architecture: 'amd64', os: 'linux', layerSizes: [96 * KiB, 32 * KiB] },
    ]);
    await skopeoCopy(skopeo, work, `oci:${layout}:1`, `docker://${upstream.host}/team/aging:1`);
    const blobs = (await layoutBlobDigests(layout)).filter((d) => d !== image.digest).sort();
    const repositoryName = 'hub/team/aging';
    const described = async () =>
      ((await longshore.ecr.send(new DescribeImagesCommand({ repositoryName }))).imageDetails ?? []).map((d) => [
        d.imageDigest,
        d.imageTags,
      ]);

    expect(await pull('team/aging', '1')).toEqual({ digest: image.digest, blobs });
    expect(await described()).toEqual([[image.digest, ['1']]]);
    await settledLog();
    expect(manifestGets('team/aging', '1')).toBe(1);

    await longshore.ecr.send(
      new PutLifecyclePolicyCommand({
        repositoryName,
        lifecyclePolicyText: JSON.stringify({
          rules: [
            {
              rulePriority: 1,
              description: 'Expire cached images after a day',
              selection: { tagStatus: 'any', countType: 'sinceImagePushed', countUnit: 'days', countNumber: 1 },
              action: { type: 'expire' },
            },
          ],
        }),
      }),
    );
    // Evaluated at today's time first: the image is kept.
    await vi.waitFor(
      async () =>
        expect(
          (await longshore.ecr.send(new GetLifecyclePolicyCommand({ repositoryName }))).lastEvaluatedAt,
        ).toBeDefined(),
      { timeout: 20_000 },
    );
    expect(await described()).toEqual([[image.digest, ['1']]]);

    await moveClock(2 * DAY_MS);
    try {
      await vi.waitFor(async () => expect(await described()).toEqual([]), { timeout: 20_000 });
    } finally {
      await moveClock(0);
    }

    // Gone from the cache: the next pull asks the upstream again and caches it anew.
    expect(await pull('team/aging', '1')).toEqual({ digest: image.digest, blobs });
    expect(await described()).toEqual([[image.digest, ['1']]]);
    await settledLog();
    expect(manifestGets('team/aging', '1')).toBe(2);
  });
});

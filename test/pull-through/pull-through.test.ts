import { createHash } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import {
  BatchCheckLayerAvailabilityCommand,
  BatchGetImageCommand,
  CreatePullThroughCacheRuleCommand,
  DeletePullThroughCacheRuleCommand,
  DescribeImagesCommand,
} from '@aws-sdk/client-ecr';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startCallbackReceiver, type CallbackReceiver } from '../support/callback-receiver.js';
import { writeCredentialsFile, type KeyEntry } from '../support/credentials-file.js';
import { notRunGate } from '../support/not-run.js';
import { startLongshore, type Longshore } from '../support/longshore-harness.js';
import {
  layoutBlobDigests,
  layoutDescriptor,
  ociMediaTypes,
  writeOciLayout,
  type Platform,
} from '../support/oci-layout.js';
import { requireOsTool } from '../support/os-tools.js';
import { parsePrometheusText, sampleSum } from '../support/prometheus-text.js';
import {
  skopeoCopy,
  startFrontProxy,
  startUpstreamRegistry,
  type FrontProxy,
  type UpstreamRegistry,
  upstreamRegistryBinary,
} from '../support/upstream-registry.js';

const KiB = 1024;
const basicUser = { username: 'puller', password: 'upstream-secret-1' };
const tokenUser = { username: 'token-user', password: 'token-secret-1' };
const basicArn = 'arn:aws:secretsmanager:us-east-1:123456789012:secret:ecr-pullthroughcache/basic-upstream';
const tokenArn = 'arn:aws:secretsmanager:us-east-1:123456789012:secret:ecr-pullthroughcache/token-upstream';
/** May pull from `hub/*`, but not import from upstreams (no ecr:BatchImportUpstreamImage). */
const pullOnlyKey: KeyEntry = {
  accessKeyId: 'AKIAPULLONLYEXAMPLE1',
  secretAccessKey: 'pull-only-secret-access-key-000000000001',
  allow: [
    {
      actions: ['ecr:BatchGetImage', 'ecr:GetDownloadUrlForLayer', 'ecr:BatchCheckLayerAvailability'],
      repositories: ['hub/*'],
    },
    { actions: ['ecr:GetAuthorizationToken'], repositories: ['*'] },
  ],
};
const manifestAccept = [ociMediaTypes.index, ociMediaTypes.manifest].join(', ');

// Pulls through pull-through cache rules from real upstream registries started here: CNCF
// distribution v3 (anonymous, and with htpasswd Basic auth), filled by skopeo, and small proxies
// in front of it for what it cannot do itself (a corrupted blob, the bearer-token flow).
describe('pull-through cache from a registry-3 upstream', () => {
  let upstream: UpstreamRegistry;
  let privateUpstream: UpstreamRegistry;
  let corrupting: FrontProxy | undefined;
  let bearer: FrontProxy | undefined;
  let longshore: Longshore;
  let receiver: CallbackReceiver;
  let skopeo: string;
  let work: string;
  let token: string;

  /** Without registry-3 nothing here can run: each test says so in the summary instead. */
  const gate = notRunGate('pull-through cache');

  beforeAll(async () => {
    const tool = await upstreamRegistryBinary();
    if (tool.path === undefined) {
      gate.absent(tool.absent);
      return;
    }
    skopeo = await requireOsTool('skopeo');
    work = await mkdtemp(path.join(os.tmpdir(), 'longshore-ptc-'));
    [upstream, privateUpstream] = await Promise.all([
      startUpstreamRegistry(),
      startUpstreamRegistry({ basicAuth: basicUser }),
    ]);
    bearer = await startFrontProxy(upstream.url, { bearer: tokenUser });
    receiver = await startCallbackReceiver();
    const credentialsFile = path.join(work, 'upstream-credentials.json');
    await writeFile(
      credentialsFile,
      JSON.stringify({
        [basicArn]: { username: basicUser.username, accessToken: basicUser.password },
        [tokenArn]: { username: tokenUser.username, accessToken: tokenUser.password },
      }),
    );
    longshore = await startLongshore({
      env: {
        UPSTREAM_CREDENTIALS_FILE: credentialsFile,
        PULL_THROUGH_TAG_TTL_SECONDS: '2',
        PULL_THROUGH_UPSTREAM_TIMEOUT_MS: '2000',
        EVENTS_WEBHOOK_URL: `${receiver.baseUrl}events`,
        CREDENTIALS_FILE: await writeCredentialsFile(work, { keys: [pullOnlyKey] }),
      },
    });
    token = await longshore.loginToken();
    await longshore.ecr.send(
      new CreatePullThroughCacheRuleCommand({
        ecrRepositoryPrefix: 'hub',
        upstreamRegistryUrl: `http://${upstream.host}`,
      }),
    );
  }, 120_000);
  afterAll(async () => {
    await longshore?.close();
    await corrupting?.close();
    await bearer?.close();
    await receiver?.close();
    await upstream?.stop();
    await privateUpstream?.stop();
    if (work) await rm(work, { recursive: true, force: true });
  });

  const longshoreHost = () => longshore.endpoint.replace(/^http:\/\//, '');
  let layouts = 0;

  /** Pushes a generated image to `registry` (a host) as `repository:tag`; returns its digest and blobs. */
  async function pushUpstream(
    registry: string,
    reference: string,
    platforms: Platform[],
    dest?: string,
  ): Promise<{ digest: string; blobs: string[] }> {
    const dir = path.join(work, `layout-${layouts++}`);
    const tag = reference.split(':')[1]!;
    const image = await writeOciLayout(dir, tag, platforms);
    await skopeoCopy(skopeo, work, `oci:${dir}:${tag}`, `docker://${registry}/${reference}`, dest ? { dest } : {}, [
      '--all',
    ]);
    const blobs = (await layoutBlobDigests(dir)).filter((d) => d !== image.digest);
    return { digest: image.digest, blobs };
  }

  /** `skopeo copy --all` out of Longshore into an OCI layout; returns the digest it pulled. */
  async function pullWithSkopeo(reference: string): Promise<string> {
    const dir = path.join(work, `pulled-${layouts++}`);
    await skopeoCopy(
      skopeo,
      work,
      `docker://${longshoreHost()}/${reference}`,
      `oci:${dir}:pulled`,
      { src: `AWS:${token}` },
      ['--all'],
    );
    return (await layoutDescriptor(dir, 'pulled')).digest;
  }

  const headManifest = (repository: string, reference: string) =>
    longshore.fetch(`/v2/${repository}/manifests/${reference}`, {
      method: 'HEAD',
      headers: { Accept: manifestAccept },
    });

  /** Waits until every access log line written before now has reached the test (a marker request's line). */
  async function settledLog(registry: UpstreamRegistry): Promise<void> {
    const marker = `/v2/?marker=${Math.random().toString(36).slice(2)}`;
    await fetch(`${registry.url}${marker}`).catch(() => undefined);
    await waitFor(() => registry.accessLog().some((l) => l.includes(marker)), 'the marker request in the access log');
  }

  it('pulls an image and an index through with the upstream digests, into repositories created on first pull', async ({
    annotate,
  }) => {
    if (await gate.notRun({ annotate })) return;
    const image = await pushUpstream(upstream.host, 'library/alpine:3', [
      { architecture: 'amd64', os: 'linux', layerSizes: [256 * KiB, 700 * KiB] },
    ]);
    const index = await pushUpstream(upstream.host, 'library/multi:1', [
      { architecture: 'amd64', os: 'linux', layerSizes: [128 * KiB] },
      { architecture: 'arm64', os: 'linux', layerSizes: [96 * KiB] },
    ]);

    expect(await pullWithSkopeo('hub/library/alpine:3')).toBe(image.digest);
    expect(await pullWithSkopeo('hub/library/multi:1')).toBe(index.digest);

    const described = await longshore.ecr.send(new DescribeImagesCommand({ repositoryName: 'hub/library/alpine' }));
    expect(described.imageDetails?.map((d) => [d.imageDigest, d.imageTags])).toEqual([[image.digest, ['3']]]);
    const layers = await longshore.ecr.send(
      new BatchCheckLayerAvailabilityCommand({ repositoryName: 'hub/library/alpine', layerDigests: image.blobs }),
    );
    expect(layers.layers?.map((l) => l.layerAvailability)).toEqual(image.blobs.map(() => 'AVAILABLE'));
    // A second pull is answered from the cache: no further blob GET upstream.
    await pullWithSkopeo(`hub/library/alpine@${image.digest}`);
    await settledLog(upstream);
    for (const blob of image.blobs) expect(upstream.blobGets(blob), blob).toBe(1);

    // Announced as ECR does, through the image-events webhook.
    const pulled = () =>
      receiver
        .receivedOn('/events')
        .map(
          (r) =>
            JSON.parse(r.rawBody.toString('utf8')) as {
              'detail-type': string;
              resources: string[];
              detail: Record<string, string>;
            },
        )
        .filter(
          (e) =>
            e['detail-type'] === 'ECR Pull Through Cache Action' &&
            e.detail['repository-name'] === 'hub/library/alpine',
        );
    await waitFor(() => pulled().length > 0, 'the ECR Pull Through Cache Action event');
    expect(pulled()[0]!.detail).toMatchObject({
      'sync-status': 'SUCCESS',
      'ecr-repository-prefix': 'hub',
      'upstream-repository-name': 'library/alpine',
      'image-digest': image.digest,
      'image-tag': '3',
    });
    expect(pulled()[0]!.resources).toEqual([
      `arn:aws:ecr:${longshore.config.region}:${longshore.config.registryId}:repository/hub/library/alpine`,
    ]);
  });

  it('pulls through with the ECR image API (BatchGetImage) as well', async ({ annotate }) => {
    if (await gate.notRun({ annotate })) return;
    const image = await pushUpstream(upstream.host, 'team/ecr-api:1', [
      { architecture: 'amd64', os: 'linux', layerSizes: [24 * KiB] },
    ]);
    const answer = await longshore.ecr.send(
      new BatchGetImageCommand({
        repositoryName: 'hub/team/ecr-api',
        imageIds: [{ imageTag: '1' }, { imageTag: 'absent' }],
      }),
    );
    expect(answer.images?.map((i) => i.imageId)).toEqual([{ imageDigest: image.digest, imageTag: '1' }]);
    expect(answer.failures?.map((f) => [f.imageId?.imageTag, f.failureCode])).toEqual([['absent', 'ImageNotFound']]);
  });

  it('imports from the upstream only with ecr:BatchImportUpstreamImage; what is cached pulls without it', async ({
    annotate,
  }) => {
    if (await gate.notRun({ annotate })) return;
    const image = await pushUpstream(upstream.host, 'team/guarded:1', [
      { architecture: 'amd64', os: 'linux', layerSizes: [16 * KiB] },
    ]);
    const asPuller = { as: pullOnlyKey };
    const head = (reference: string) =>
      longshore.fetch(
        `/v2/hub/team/guarded/manifests/${reference}`,
        { method: 'HEAD', headers: { Accept: manifestAccept } },
        asPuller,
      );
    expect((await head('1')).status).toBe(403);
    expect((await headManifest('hub/team/guarded', '1')).headers.get('docker-content-digest')).toBe(image.digest);
    const cached = await head(image.digest);
    expect(cached.status).toBe(200);
    expect(cached.headers.get('docker-content-digest')).toBe(image.digest);
  });

  it('fetches each upstream blob once for ten concurrent first pulls', async ({ annotate }) => {
    if (await gate.notRun({ annotate })) return;
    const image = await pushUpstream(upstream.host, 'team/app:1', [
      { architecture: 'amd64', os: 'linux', layerSizes: [300 * KiB, 2 * 1024 * KiB, 64 * KiB] },
    ]);
    const pull = async () => {
      const manifest = await longshore.fetch('/v2/hub/team/app/manifests/1', { headers: { Accept: manifestAccept } });
      expect(manifest.status).toBe(200);
      const body = (await manifest.json()) as { config: { digest: string }; layers: { digest: string }[] };
      const digests = [body.config.digest, ...body.layers.map((l) => l.digest)];
      return Promise.all(
        digests.map(async (digest) => {
          const blob = await longshore.fetch(`/v2/hub/team/app/blobs/${digest}`);
          expect(blob.status).toBe(200);
          return (
            `sha256:${createHash('sha256')
              .update(Buffer.from(await blob.arrayBuffer()))
              .digest('hex')}` === digest
          );
        }),
      );
    };
    const results = await Promise.all(Array.from({ length: 10 }, pull));
    expect(results.flat().every(Boolean)).toBe(true);
    await settledLog(upstream);
    expect(image.blobs.map((b) => upstream.blobGets(b))).toEqual(image.blobs.map(() => 1));
  });

  it('answers a Range on a miss with 206 and the bytes asked for, from the one fetch that stores the whole blob', async ({
    annotate,
  }) => {
    if (await gate.notRun({ annotate })) return;
    const image = await pushUpstream(upstream.host, 'team/ranged:1', [
      { architecture: 'amd64', os: 'linux', layerSizes: [700 * KiB, 300 * KiB] },
    ]);
    const manifest = (await (
      await fetch(`${upstream.url}/v2/team/ranged/manifests/1`, { headers: { Accept: manifestAccept } })
    ).json()) as { layers: { digest: string; size: number }[] };
    const [big, small] = manifest.layers as [{ digest: string; size: number }, { digest: string; size: number }];
    const upstreamBytes = async (digest: string) =>
      Buffer.from(await (await fetch(`${upstream.url}/v2/team/ranged/blobs/${digest}`)).arrayBuffer());
    const whole = await upstreamBytes(big.digest);
    await settledLog(upstream);
    const fetchedBefore = upstream.blobGets(big.digest);
    const ranged = (digest: string, range: string) =>
      longshore.fetch(`/v2/hub/team/ranged/blobs/${digest}`, { headers: { Range: range } });
    const sha256 = (bytes: Buffer) => `sha256:${createHash('sha256').update(bytes).digest('hex')}`;

    // A miss: 206 with the range, while the whole blob is fetched once and stored.
    const miss = await ranged(big.digest, 'bytes=100000-199999');
    expect(miss.status).toBe(206);
    expect(miss.headers.get('content-range')).toBe(`bytes 100000-199999/${big.size}`);
    expect(Buffer.from(await miss.arrayBuffer()).equals(whole.subarray(100000, 200000))).toBe(true);
    // A hit: served from the cache, ranged or whole, without asking the upstream again.
    const hit = await ranged(big.digest, 'bytes=-4096');
    expect(hit.status).toBe(206);
    expect(hit.headers.get('content-range')).toBe(`bytes ${big.size - 4096}-${big.size - 1}/${big.size}`);
    expect(Buffer.from(await hit.arrayBuffer()).equals(whole.subarray(big.size - 4096))).toBe(true);
    const full = await longshore.fetch(`/v2/hub/team/ranged/blobs/${big.digest}`);
    expect(full.status).toBe(200);
    expect(sha256(Buffer.from(await full.arrayBuffer()))).toBe(big.digest);
    await settledLog(upstream);
    expect(upstream.blobGets(big.digest) - fetchedBefore).toBe(1);

    // A range past the end on a miss: 416 with the size, and nothing half-cached; a later GET fetches it whole.
    const unsatisfiable = await ranged(small.digest, `bytes=${small.size}-`);
    expect(unsatisfiable.status).toBe(416);
    expect(unsatisfiable.headers.get('content-range')).toBe(`bytes */${small.size}`);
    const later = await longshore.fetch(`/v2/hub/team/ranged/blobs/${small.digest}`);
    expect(later.status).toBe(200);
    expect(sha256(Buffer.from(await later.arrayBuffer()))).toBe(small.digest);
    expect(image.blobs).toContain(small.digest);
  });

  it('serves cached images while the upstream process is stopped (SIGSTOP)', async ({ annotate }) => {
    if (await gate.notRun({ annotate })) return;
    const image = await pushUpstream(upstream.host, 'team/stopped:1', [
      { architecture: 'amd64', os: 'linux', layerSizes: [200 * KiB] },
    ]);
    expect(await pullWithSkopeo('hub/team/stopped:1')).toBe(image.digest);
    upstream.pause();
    try {
      // By digest: never asked upstream again. By tag (its check is older than the TTL by now or
      // soon): the upstream is asked, does not answer within PULL_THROUGH_UPSTREAM_TIMEOUT_MS, and
      // the cached image is served.
      expect(await pullWithSkopeo(`hub/team/stopped@${image.digest}`)).toBe(image.digest);
      await waitFor(async () => {
        const head = await headManifest('hub/team/stopped', '1');
        return (
          head.status === 200 &&
          head.headers.get('docker-content-digest') === image.digest &&
          (await upstreamTimeouts()) > 0
        );
      }, 'a tag pull served from the cache after the upstream timed out');
    } finally {
      upstream.resume();
    }
  });

  it('sees a tag moved upstream once PULL_THROUGH_TAG_TTL_SECONDS have passed', async ({ annotate }) => {
    if (await gate.notRun({ annotate })) return;
    const first = await pushUpstream(upstream.host, 'team/moving:latest', [
      { architecture: 'amd64', os: 'linux', layerSizes: [32 * KiB] },
    ]);
    expect((await headManifest('hub/team/moving', 'latest')).headers.get('docker-content-digest')).toBe(first.digest);
    const second = await pushUpstream(upstream.host, 'team/moving:latest', [
      { architecture: 'arm64', os: 'linux', layerSizes: [40 * KiB] },
    ]);
    expect(second.digest).not.toBe(first.digest);
    await waitFor(
      async () =>
        (await headManifest('hub/team/moving', 'latest')).headers.get('docker-content-digest') === second.digest,
      'the moved tag to be seen through the cache',
    );
    // Both stay: the first image is still pullable by digest.
    expect((await headManifest('hub/team/moving', first.digest)).status).toBe(200);
  });

  it('fetches nothing new after DeletePullThroughCacheRule; what was cached stays', async ({ annotate }) => {
    if (await gate.notRun({ annotate })) return;
    await longshore.ecr.send(
      new CreatePullThroughCacheRuleCommand({
        ecrRepositoryPrefix: 'gone',
        upstreamRegistryUrl: `http://${upstream.host}`,
      }),
    );
    const cached = await pushUpstream(upstream.host, 'team/kept:1', [
      { architecture: 'amd64', os: 'linux', layerSizes: [16 * KiB] },
    ]);
    const uncached = await pushUpstream(upstream.host, 'team/never:1', [
      { architecture: 'amd64', os: 'linux', layerSizes: [24 * KiB] },
    ]);
    expect(await pullWithSkopeo('gone/team/kept:1')).toBe(cached.digest);
    await longshore.ecr.send(new DeletePullThroughCacheRuleCommand({ ecrRepositoryPrefix: 'gone' }));
    await settledLog(upstream);
    const before = upstream.accessLog().length;

    expect((await headManifest('gone/team/never', '1')).status).toBe(404);
    expect((await longshore.fetch(`/v2/gone/team/never/blobs/${uncached.blobs[0]}`)).status).toBe(404);
    expect((await longshore.fetch(`/v2/gone/team/kept/blobs/${uncached.blobs[0]}`)).status).toBe(404);
    expect(await pullWithSkopeo(`gone/team/kept@${cached.digest}`)).toBe(cached.digest);

    await settledLog(upstream);
    const after = upstream.accessLog().slice(before);
    expect(after.filter((l) => !l.includes('marker='))).toEqual([]);
  });

  it('refuses a blob the upstream corrupted (a proxy flips a byte) and never publishes it', async ({ annotate }) => {
    if (await gate.notRun({ annotate })) return;
    const image = await pushUpstream(upstream.host, 'team/corrupt:1', [
      { architecture: 'amd64', os: 'linux', layerSizes: [512 * KiB] },
    ]);
    const manifest = (await (
      await fetch(`${upstream.url}/v2/team/corrupt/manifests/1`, { headers: { Accept: manifestAccept } })
    ).json()) as { layers: { digest: string }[] };
    const layer = manifest.layers[0]!.digest;
    corrupting = await startFrontProxy(upstream.url, { corrupt: layer });
    await longshore.ecr.send(
      new CreatePullThroughCacheRuleCommand({ ecrRepositoryPrefix: 'bent', upstreamRegistryUrl: corrupting.url }),
    );
    expect((await headManifest('bent/team/corrupt', '1')).headers.get('docker-content-digest')).toBe(image.digest);

    const outcome = await longshore
      .fetch(`/v2/bent/team/corrupt/blobs/${layer}`)
      .then(async (res) => ({
        status: res.status,
        digest: `sha256:${createHash('sha256')
          .update(Buffer.from(await res.arrayBuffer()))
          .digest('hex')}`,
      }))
      .catch((err: unknown) => ({ error: String(err) }));
    // Either the answer is cut before its last bytes, or it is an error: never the corrupt blob whole.
    expect(outcome).not.toMatchObject({ status: 200 });
    expect(corrupting.forwarded.filter((r) => r === `GET /v2/team/corrupt/blobs/${layer}`)).toHaveLength(1);

    const redis = longshore.connectRedis();
    try {
      expect(await redis.get(longshore.keys.blob(layer))).toBeNull();
    } finally {
      redis.disconnect();
    }
    const check = await longshore.ecr.send(
      new BatchCheckLayerAvailabilityCommand({ repositoryName: 'bent/team/corrupt', layerDigests: [layer] }),
    );
    expect(check.failures?.map((f) => f.failureCode)).toEqual(['MissingLayerDigest']);
  });

  it('pulls from an upstream with htpasswd Basic auth using the rule credential, and not without it', async ({
    annotate,
  }) => {
    if (await gate.notRun({ annotate })) return;
    const image = await pushUpstream(
      privateUpstream.host,
      'private/base:1',
      [{ architecture: 'amd64', os: 'linux', layerSizes: [48 * KiB] }],
      `${basicUser.username}:${basicUser.password}`,
    );
    await longshore.ecr.send(
      new CreatePullThroughCacheRuleCommand({
        ecrRepositoryPrefix: 'private',
        upstreamRegistryUrl: `http://${privateUpstream.host}`,
        credentialArn: basicArn,
      }),
    );
    await longshore.ecr.send(
      new CreatePullThroughCacheRuleCommand({
        ecrRepositoryPrefix: 'nocreds',
        upstreamRegistryUrl: `http://${privateUpstream.host}`,
      }),
    );
    expect(await pullWithSkopeo('private/private/base:1')).toBe(image.digest);
    expect((await headManifest('nocreds/private/base', '1')).status).toBe(404);
  });

  it('follows the bearer-token challenge of the upstream with the rule credential', async ({ annotate }) => {
    if (await gate.notRun({ annotate })) return;
    const image = await pushUpstream(upstream.host, 'team/behind-token:1', [
      { architecture: 'amd64', os: 'linux', layerSizes: [20 * KiB] },
    ]);
    await longshore.ecr.send(
      new CreatePullThroughCacheRuleCommand({
        ecrRepositoryPrefix: 'tokened',
        upstreamRegistryUrl: bearer!.url,
        credentialArn: tokenArn,
      }),
    );
    expect(await pullWithSkopeo('tokened/team/behind-token:1')).toBe(image.digest);
    expect(bearer!.forwarded.some((r) => r.startsWith('GET /v2/team/behind-token/blobs/'))).toBe(true);
  });

  async function upstreamTimeouts(): Promise<number> {
    const metrics = parsePrometheusText(await (await fetch(longshore.metricsUrl)).text());
    return sampleSum(metrics, 'longshore_pull_through_upstream_errors_total', { reason: 'timeout' });
  }
});

/** Polls a condition until it holds (a bounded number of times, a short pause between). */
async function waitFor(condition: () => boolean | Promise<boolean>, what: string, attempts = 400): Promise<void> {
  for (let i = 0; i < attempts; i++) {
    if (await condition()) return;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`timed out waiting for ${what}`);
}

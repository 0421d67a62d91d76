import { createHash } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { CreatePullThroughCacheRuleCommand } from '@aws-sdk/client-ecr';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  registerAuthenticatedService,
  startLongshore,
  unregisterAuthenticatedService,
  type Longshore,
} from '../support/longshore-harness.js';
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
const CLIENTS = 16;
const manifestAccept = [ociMediaTypes.index, ociMediaTypes.manifest].join(', ');

// Two API processes sharing Redis and the storage (as the launcher runs them) take concurrent
// first pulls of the same images: every client gets the upstream's digest and every blob, and
// each upstream blob, and the manifest of the tag, is fetched once across both processes.
describe('pull-through cache with two API processes', () => {
  let upstream: UpstreamRegistry;
  let longshore: Longshore;
  let endpoints: string[];
  let skopeo: string;
  let work: string;

  const gate = notRunGate('pull-through cache');

  beforeAll(async () => {
    const tool = await upstreamRegistryBinary();
    if (tool.path === undefined) {
      gate.absent(tool.absent);
      return;
    }
    skopeo = await requireOsTool('skopeo');
    work = await mkdtemp(path.join(os.tmpdir(), 'longshore-ptc2-'));
    upstream = await startUpstreamRegistry();
    longshore = await startLongshore();
    const second = await longshore.startApi();
    const secondEndpoint = `http://127.0.0.1:${second.port}`;
    registerAuthenticatedService(secondEndpoint);
    endpoints = [longshore.endpoint, secondEndpoint];
    await longshore.ecr.send(
      new CreatePullThroughCacheRuleCommand({
        ecrRepositoryPrefix: 'hub',
        upstreamRegistryUrl: `http://${upstream.host}`,
      }),
    );
  }, 120_000);
  afterAll(async () => {
    if (endpoints?.[1]) unregisterAuthenticatedService(endpoints[1]);
    await longshore?.close();
    await upstream?.stop();
    if (work) await rm(work, { recursive: true, force: true });
  });

  let layouts = 0;
  async function pushUpstream(reference: string, layerSizes: number[]): Promise<{ digest: string; blobs: string[] }> {
    const dir = path.join(work, `layout-${layouts++}`);
    const tag = reference.split(':')[1]!;
    const image = await writeOciLayout(dir, tag, [{ architecture: 'amd64', os: 'linux', layerSizes }]);
    await skopeoCopy(skopeo, work, `oci:${dir}:${tag}`, `docker://${upstream.host}/${reference}`);
    return { digest: image.digest, blobs: (await layoutBlobDigests(dir)).filter((d) => d !== image.digest) };
  }

  /** What one client saw pulling `repository:tag` from `endpoint`: the manifest's status and digest, each blob's. */
  async function pull(endpoint: string, repository: string, tag: string) {
    const manifest = await longshore.fetch(`${endpoint}/v2/${repository}/manifests/${tag}`, {
      headers: { Accept: manifestAccept },
    });
    const bytes = Buffer.from(await manifest.arrayBuffer());
    if (manifest.status !== 200) return { status: manifest.status, body: bytes.toString('utf8') };
    const body = JSON.parse(bytes.toString('utf8')) as { config: { digest: string }; layers: { digest: string }[] };
    const blobs = await Promise.all(
      [body.config.digest, ...body.layers.map((l) => l.digest)].map(async (digest) => {
        const blob = await longshore.fetch(`${endpoint}/v2/${repository}/blobs/${digest}`);
        const received = `sha256:${createHash('sha256')
          .update(Buffer.from(await blob.arrayBuffer()))
          .digest('hex')}`;
        return { status: blob.status, intact: received === digest };
      }),
    );
    return { status: 200, digest: `sha256:${createHash('sha256').update(bytes).digest('hex')}`, blobs };
  }

  async function settledLog(): Promise<void> {
    const marker = `/v2/?marker=${Math.random().toString(36).slice(2)}`;
    await fetch(`${upstream.url}${marker}`).catch(() => undefined);
    for (let i = 0; i < 400 && !upstream.accessLog().some((l) => l.includes(marker)); i++) {
      await new Promise((resolve) => setTimeout(resolve, 25));
    }
  }

  it.for(['one', 'two', 'three'])(
    'serves image %s to concurrent first pulls on both processes, fetching its manifest and each blob once',
    async (name, { annotate }) => {
      if (await gate.notRun({ annotate })) return;
      const image = await pushUpstream(`team/${name}:1`, [300 * KiB, 1024 * KiB, 64 * KiB]);
      const outcomes = await Promise.all(
        Array.from({ length: CLIENTS }, (_, i) => pull(endpoints[i % 2]!, `hub/team/${name}`, '1')),
      );
      const expected = {
        status: 200,
        digest: image.digest,
        blobs: image.blobs.map(() => ({ status: 200, intact: true })),
      };
      expect(outcomes).toEqual(outcomes.map(() => expected));
      await settledLog();
      expect(image.blobs.map((b) => upstream.blobGets(b))).toEqual(image.blobs.map(() => 1));
      // One request across both processes asked the upstream for the tag; the others waited for it.
      expect(upstream.accessLog().filter((l) => l.includes(`"GET /v2/team/${name}/manifests/1 `))).toHaveLength(1);
    },
  );
});

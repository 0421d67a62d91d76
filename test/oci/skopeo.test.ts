import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MiB, randomLayer } from '../support/layer-data.js';
import { startLongshore, type Longshore } from '../support/longshore-harness.js';
import { layoutBlobDigests, layoutDescriptor, ociMediaTypes, writeOciLayout } from '../support/oci-layout.js';
import { requireOsTool } from '../support/os-tools.js';
import { skopeoCopy } from '../support/skopeo.js';
import { parsePrometheusText, sampleSum } from '../support/prometheus-text.js';

// Real OCI clients from the OS packages against the /v2 door: skopeo copies images in and back
// out, and digests must survive the round trip byte for byte.
describe('/v2 with skopeo', () => {
  let longshore: Longshore;
  let skopeo: string;
  let work: string;
  let token: string;

  beforeAll(async () => {
    skopeo = await requireOsTool('skopeo');
    longshore = await startLongshore();
    token = await longshore.loginToken();
    work = await mkdtemp(path.join(os.tmpdir(), 'longshore-skopeo-'));
  }, 300_000);
  afterAll(async () => {
    await longshore?.close();
    if (work) await rm(work, { recursive: true, force: true });
  });

  const registry = () => longshore.endpoint.replace(/^http:\/\//, '');

  /** `skopeo copy` with plain HTTP towards Longshore; `extra` for `--all`. */
  const copy = (from: string, to: string, extra: string[] = []) => {
    // As `docker login` would: the registry password is a login token (aws ecr get-login-password).
    const creds = `AWS:${token}`;
    return skopeoCopy(skopeo, work, from, to, { src: creds, dest: creds }, extra);
  };

  it('copies an OCI image layout in and back out with identical digests', { timeout: 120_000 }, async () => {
    const source = path.join(work, 'image-in');
    const image = await writeOciLayout(source, 'v1', [
      { architecture: 'amd64', os: 'linux', layerSizes: [256 * 1024, 3 * MiB] },
    ]);

    await copy(`oci:${source}:v1`, `docker://${registry()}/skopeo/app:v1`);

    const head = await longshore.fetch('/v2/skopeo/app/manifests/v1', {
      method: 'HEAD',
      headers: { Accept: ociMediaTypes.manifest },
    });
    expect(head.status).toBe(200);
    expect(head.headers.get('docker-content-digest')).toBe(image.digest);
    expect(head.headers.get('content-type')).toBe(ociMediaTypes.manifest);

    const target = path.join(work, 'image-out');
    await copy(`docker://${registry()}/skopeo/app:v1`, `oci:${target}:v1`);
    expect((await layoutDescriptor(target, 'v1')).digest).toBe(image.digest);
    expect(await layoutBlobDigests(target)).toEqual(await layoutBlobDigests(source));
  });

  it('copies a two-platform index with --all, every manifest and blob intact', { timeout: 120_000 }, async () => {
    const source = path.join(work, 'index-in');
    const index = await writeOciLayout(source, 'multi', [
      { architecture: 'amd64', os: 'linux', layerSizes: [512 * 1024] },
      { architecture: 'arm64', os: 'linux', layerSizes: [768 * 1024, 64 * 1024] },
    ]);

    await copy(`oci:${source}:multi`, `docker://${registry()}/skopeo/multi:latest`, ['--all']);

    const got = await longshore.fetch('/v2/skopeo/multi/manifests/latest', {
      headers: { Accept: ociMediaTypes.index },
    });
    expect(got.status).toBe(200);
    expect(got.headers.get('docker-content-digest')).toBe(index.digest);
    const served = (await got.json()) as { manifests: { digest: string; platform: { architecture: string } }[] };
    expect(served.manifests.map((m) => m.platform.architecture)).toEqual(['amd64', 'arm64']);

    const target = path.join(work, 'index-out');
    await copy(`docker://${registry()}/skopeo/multi:latest`, `oci:${target}:multi`, ['--all']);
    expect((await layoutDescriptor(target, 'multi')).digest).toBe(index.digest);
    expect(await layoutBlobDigests(target)).toEqual(await layoutBlobDigests(source));
  });

  it('finalizes a 64 MiB layer pushed in 8 MiB chunks through the finalize queue', { timeout: 120_000 }, async () => {
    const layer = randomLayer(64 * MiB);
    const chunk = 8 * MiB;
    const jobsBefore = await completedJobs();

    const started = await longshore.fetch('/v2/skopeo/big/blobs/uploads/', { method: 'POST' });
    expect(started.status).toBe(202);
    const uploadId = started.headers.get('docker-upload-uuid')!;
    let location = started.headers.get('location')!;
    for (let first = 0; first < layer.bytes.length; first += chunk) {
      const last = first + chunk - 1;
      const patched = await longshore.fetch(location, {
        method: 'PATCH',
        headers: { 'Content-Type': 'application/octet-stream', 'Content-Range': `${first}-${last}` },
        body: layer.bytes.subarray(first, last + 1),
      });
      expect(patched.status).toBe(202);
      expect(patched.headers.get('range')).toBe(`0-${last}`);
      location = patched.headers.get('location')!;
    }
    const put = await longshore.fetch(`${location}?digest=${layer.digest}`, { method: 'PUT' });
    expect(put.status).toBe(201);
    expect(put.headers.get('docker-content-digest')).toBe(layer.digest);

    // The upload's status record says how it ended, and the worker counted one more finalize job.
    const status = (await (await longshore.fetch(`/v1/uploads/${uploadId}`)).json()) as {
      data: { status: string; layerDigest: string; layerSize: number; partsReceived: number };
    };
    expect(status.data).toMatchObject({ status: 'completed', layerDigest: layer.digest, layerSize: 64 * MiB });
    expect(status.data.partsReceived).toBe(8);
    // The worker counts the job just after it announces the outcome: poll the counter.
    await expect.poll(completedJobs, { timeout: 15_000, interval: 25 }).toBe(jobsBefore + 1);

    const blob = await longshore.fetch(`/v2/skopeo/big/blobs/${layer.digest}`, { headers: { Range: 'bytes=0-1023' } });
    expect(blob.status).toBe(206);
    expect(Buffer.from(await blob.arrayBuffer()).equals(layer.bytes.subarray(0, 1024))).toBe(true);
  });

  async function completedJobs(): Promise<number> {
    let total = 0;
    for (const worker of longshore.workers) {
      const text = await (await fetch(`http://127.0.0.1:${worker.port}/metrics`)).text();
      total += sampleSum(parsePrometheusText(text), 'longshore_worker_jobs_total', { outcome: 'completed' });
    }
    return total;
  }
});

import { randomUUID } from 'node:crypto';
import { CompleteLayerUploadCommand, CreateRepositoryCommand, InvalidLayerException } from '@aws-sdk/client-ecr';
import { EVENT_QUEUE } from '@longshore/queue';
import { Queue } from 'bullmq';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MiB, digestOf, pushLayer, randomLayer, uploadParts } from '../support/layer-data.js';
import { startLongshore, type Longshore } from '../support/longshore-harness.js';
import { sampleSum, scrapeMetrics, type Scrape } from '../support/prometheus-text.js';
import { rejectionOf } from '../support/rejection.js';
import { e2eBackend } from '../support/test-backend.js';
import { completeUpload, dataOf, getUpload, waitForFinalStatus } from '../support/status-client.js';

const UUID = /[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/i;
const SHA256_HEX = /[0-9a-f]{64}/i;
const BACKGROUND_VERIFY_MIN_BYTES = 6 * MiB;

/**
 * No label value anywhere names one upload, layer or repository: not the `forbidden` values this
 * test used, nor anything shaped like an upload id or a digest.
 */
function expectBoundedLabels(scrapes: Scrape[], forbidden: string[]): void {
  const needles = forbidden.map((value) => value.replace(/^sha256:/, ''));
  let checked = 0;
  for (const sample of scrapes.flatMap((s) => s.samples)) {
    for (const [label, value] of Object.entries(sample.labels)) {
      const where = `${sample.name}{${label}="${value}"}`;
      expect(value, where).not.toMatch(UUID);
      expect(value, where).not.toMatch(SHA256_HEX);
      for (const needle of needles) expect(value, where).not.toContain(needle);
      checked += 1;
    }
  }
  expect(checked).toBeGreaterThan(0);
}

interface Scrapes {
  api: Scrape;
  worker: Scrape;
}

/**
 * Exact metric deltas around real pushes. The harness is this file's alone and its tests run
 * one after another, so nothing else moves these counters between two scrapes.
 */
describe('metrics: what one push moves, on the API and on the worker', () => {
  let longshore: Longshore;
  const apiUrl = () => longshore.metricsUrl;
  const workerUrl = () => `http://127.0.0.1:${longshore.workers[0]!.port}/metrics`;

  beforeAll(async () => {
    // Parts below 6 MiB are verified when the layer is finalized, where the counts are exact;
    // larger ones in the background while the upload goes on (see the last test).
    longshore = await startLongshore({ env: { BACKGROUND_VERIFY_MIN_BYTES: String(BACKGROUND_VERIFY_MIN_BYTES) } });
  });
  afterAll(() => longshore?.close());

  async function scrape(): Promise<Scrapes> {
    const [api, worker] = await Promise.all([scrapeMetrics(apiUrl()), scrapeMetrics(workerUrl())]);
    return { api, worker };
  }

  /** `after - before` of the summed samples `name{match}`. */
  function delta(before: Scrape, after: Scrape, name: string, match: Record<string, string> = {}): number {
    return sampleSum(after, name, match) - sampleSum(before, name, match);
  }

  /**
   * The worker counts a job after it recorded the upload's outcome (which is what answers the
   * client), and BullMQ moves the job to its final state after that: poll the worker's real
   * metrics, bounded, until the job is counted and out of the queue.
   */
  async function workerSettled(before: Scrape, outcome: 'completed' | 'failed'): Promise<Scrape> {
    let latest = before;
    await expect
      .poll(
        async () => {
          latest = await scrapeMetrics(workerUrl());
          return [
            delta(before, latest, 'longshore_worker_jobs_total', { outcome }),
            delta(before, latest, 'longshore_queue_jobs', { state: outcome }),
          ];
        },
        { timeout: 15_000, interval: 25 },
      )
      .toEqual([1, 1]);
    return latest;
  }

  async function newRepository(): Promise<string> {
    const repositoryName = `metrics/m${randomUUID().slice(0, 8)}`;
    await longshore.ecr.send(new CreateRepositoryCommand({ repositoryName }));
    return repositoryName;
  }

  it('serves both scrapes in the text format, with the documented families and roles', async () => {
    const { api, worker } = await scrape();
    const types = (s: Scrape) => Object.fromEntries([...s.families.values()].map((f) => [f.name, f.type]));
    expect(types(api)).toMatchObject({
      longshore_api_requests_total: 'counter',
      longshore_api_request_duration_seconds: 'histogram',
      longshore_api_received_bytes_total: 'counter',
      longshore_uploads_started_total: 'counter',
      longshore_uploads_completed_total: 'counter',
      longshore_uploads_failed_total: 'counter',
      longshore_api_inflight_waits: 'gauge',
      process_cpu_seconds_total: 'counter',
      nodejs_eventloop_lag_seconds: 'gauge',
    });
    expect(types(worker)).toMatchObject({
      longshore_worker_finalize_duration_seconds: 'histogram',
      longshore_worker_verified_bytes_total: 'counter',
      longshore_worker_jobs_total: 'counter',
      longshore_worker_retries_total: 'counter',
      longshore_worker_stalled_jobs_total: 'counter',
      longshore_worker_hash_pool_utilization_ratio: 'gauge',
      longshore_queue_jobs: 'gauge',
      process_cpu_seconds_total: 'counter',
    });
    // Node's default metrics keep their standard names, so stock dashboards match.
    const renamed = (s: Scrape) => [...s.families.keys()].filter((name) => /^longshore_(process|nodejs)_/.test(name));
    expect([...renamed(api), ...renamed(worker)]).toEqual([]);
    expect(api.samples.every((s) => s.labels.role === 'api')).toBe(true);
    expect(worker.samples.every((s) => s.labels.role === 'worker')).toBe(true);
  });

  it('serves /metrics only on METRICS_PORT, not on the public API port; the worker answers /readyz there', async () => {
    const onApiPort = await longshore.fetch('/metrics');
    expect(onApiPort.status).toBe(404);
    expect(await onApiPort.text()).not.toContain('longshore_api_requests_total');
    const workerOps = `http://127.0.0.1:${longshore.workers[0]!.port}`;
    const ready = await fetch(`${workerOps}/readyz`);
    expect(ready.status).toBe(200);
    expect(await ready.json()).toEqual({
      status: 'ready',
      checks: [
        { name: 'redis', ok: true },
        { name: 'finalize-queue', ok: true },
        { name: 'storage', ok: true },
      ],
    });
    expect((await fetch(`${workerOps}/healthz`)).status).toBe(200);
    const apiReady = await fetch(longshore.metricsUrl.replace('/metrics', '/readyz'));
    expect(apiReady.status).toBe(200);
  });

  it('counts one successful push exactly', async () => {
    const repositoryName = await newRepository();
    // Parts of 5, 5 MiB and 100 KiB: the last one small enough to carry its CRC32C everywhere.
    const smallPart = 100 * 1024;
    const layer = randomLayer(10 * MiB + smallPart);
    const before = await scrape();

    const pushed = await pushLayer(longshore.ecr, repositoryName, layer, 5 * MiB);
    const api = await scrapeMetrics(apiUrl());
    const worker = await workerSettled(before.worker, 'completed');

    const ok = (operation: string) => ({ operation, outcome: 'ok' });
    expect(delta(before.api, api, 'longshore_api_requests_total', ok('InitiateLayerUpload'))).toBe(1);
    expect(delta(before.api, api, 'longshore_api_requests_total', ok('UploadLayerPart'))).toBe(3);
    expect(delta(before.api, api, 'longshore_api_requests_total', ok('CompleteLayerUpload'))).toBe(1);
    expect(delta(before.api, api, 'longshore_api_requests_total')).toBe(5);
    expect(delta(before.api, api, 'longshore_api_request_duration_seconds_count', ok('InitiateLayerUpload'))).toBe(1);
    expect(delta(before.api, api, 'longshore_api_request_duration_seconds_count', ok('UploadLayerPart'))).toBe(3);
    expect(delta(before.api, api, 'longshore_api_request_duration_seconds_count', ok('CompleteLayerUpload'))).toBe(1);
    expect(
      delta(before.api, api, 'longshore_api_request_duration_seconds_bucket', { ...ok('UploadLayerPart'), le: '+Inf' }),
    ).toBe(3);
    expect(delta(before.api, api, 'longshore_api_request_duration_seconds_sum', ok('UploadLayerPart'))).toBeGreaterThan(
      0,
    );
    expect(delta(before.api, api, 'longshore_api_received_bytes_total')).toBe(layer.bytes.length);
    expect(delta(before.api, api, 'longshore_uploads_started_total')).toBe(1);
    expect(delta(before.api, api, 'longshore_uploads_completed_total')).toBe(1);
    expect(delta(before.api, api, 'longshore_uploads_failed_total')).toBe(0);

    expect(delta(before.worker, worker, 'longshore_worker_jobs_total', { outcome: 'completed', error: '' })).toBe(1);
    expect(delta(before.worker, worker, 'longshore_worker_jobs_total')).toBe(1);
    // The bytes read back against a CRC32C recorded at upload: on S3 every part's. On local part
    // files the parts over INLINE_HASH_MAX_BYTES carry the boot that wrote them instead (storage's
    // machine-boot.ts): on that boot they are fsynced, not read back, and only the small part is.
    const checked = e2eBackend() === 'filesystem' ? smallPart : layer.bytes.length;
    expect(delta(before.worker, worker, 'longshore_worker_verified_bytes_total')).toBe(checked);
    expect(
      delta(before.worker, worker, 'longshore_worker_finalize_duration_seconds_count', { outcome: 'completed' }),
    ).toBe(1);
    expect(delta(before.worker, worker, 'longshore_worker_finalize_duration_seconds_count')).toBe(1);
    expect(
      delta(before.worker, worker, 'longshore_worker_finalize_duration_seconds_bucket', {
        outcome: 'completed',
        le: '+Inf',
      }),
    ).toBe(1);
    expect(delta(before.worker, worker, 'longshore_worker_retries_total')).toBe(0);
    expect(delta(before.worker, worker, 'longshore_worker_stalled_jobs_total')).toBe(0);

    expectBoundedLabels([api, worker], [pushed.uploadId, layer.digest, repositoryName]);
  });

  it('counts one failing push (a digest that does not match) by its ECR error name', async () => {
    const repositoryName = await newRepository();
    // Parts of 5 MiB and 200 KiB: the last one small enough to carry its CRC32C everywhere.
    const smallPart = 200 * 1024;
    const layer = randomLayer(5 * MiB + smallPart);
    const wrongDigest = digestOf(Buffer.from('some other layer'));
    const before = await scrape();

    const error = await rejectionOf(
      pushLayer(longshore.ecr, repositoryName, { bytes: layer.bytes, digest: wrongDigest }),
      InvalidLayerException,
    );
    expect(error.message).toContain(layer.digest);
    const api = await scrapeMetrics(apiUrl());
    const worker = await workerSettled(before.worker, 'failed');

    expect(
      delta(before.api, api, 'longshore_api_requests_total', { operation: 'InitiateLayerUpload', outcome: 'ok' }),
    ).toBe(1);
    expect(
      delta(before.api, api, 'longshore_api_requests_total', { operation: 'UploadLayerPart', outcome: 'ok' }),
    ).toBe(2);
    expect(
      delta(before.api, api, 'longshore_api_requests_total', {
        operation: 'CompleteLayerUpload',
        outcome: 'InvalidLayerException',
      }),
    ).toBe(1);
    expect(
      delta(before.api, api, 'longshore_api_requests_total', { operation: 'CompleteLayerUpload', outcome: 'ok' }),
    ).toBe(0);
    expect(
      delta(before.api, api, 'longshore_api_request_duration_seconds_count', {
        operation: 'CompleteLayerUpload',
        outcome: 'InvalidLayerException',
      }),
    ).toBe(1);
    expect(delta(before.api, api, 'longshore_api_received_bytes_total')).toBe(layer.bytes.length);
    expect(delta(before.api, api, 'longshore_uploads_started_total')).toBe(1);
    expect(delta(before.api, api, 'longshore_uploads_completed_total')).toBe(0);
    expect(delta(before.api, api, 'longshore_uploads_failed_total', { error: 'InvalidLayerException' })).toBe(1);
    expect(delta(before.api, api, 'longshore_uploads_failed_total')).toBe(1);

    expect(
      delta(before.worker, worker, 'longshore_worker_jobs_total', {
        outcome: 'failed',
        error: 'InvalidLayerException',
      }),
    ).toBe(1);
    expect(delta(before.worker, worker, 'longshore_worker_jobs_total')).toBe(1);
    expect(
      delta(before.worker, worker, 'longshore_worker_finalize_duration_seconds_count', { outcome: 'failed' }),
    ).toBe(1);
    expect(delta(before.worker, worker, 'longshore_worker_finalize_duration_seconds_count')).toBe(1);
    // The parts with a CRC32C were read back once (on S3 all, on local part files the small one:
    // the 5 MiB part carries the boot mark and is only fsynced); the mismatch is found between the
    // claimed digest and the one carried as the parts arrived, without reading anything more.
    const checked = e2eBackend() === 'filesystem' ? smallPart : layer.bytes.length;
    expect(delta(before.worker, worker, 'longshore_worker_verified_bytes_total')).toBe(checked);
    expect(delta(before.worker, worker, 'longshore_worker_retries_total')).toBe(0);

    expectBoundedLabels([api, worker], [layer.digest, wrongDigest, repositoryName]);
  });

  it('counts the status API by operation and outcome', async () => {
    const repositoryName = await newRepository();
    const layer = randomLayer(2048);
    const uploadId = await uploadParts(longshore.ecr, repositoryName, layer.bytes, 5 * MiB);
    const unknown = randomUUID();
    // The status API is called with a login token; getting it is an ECR request of its own.
    await longshore.loginToken();
    const before = await scrape();

    dataOf(await completeUpload(longshore.endpoint, uploadId, { repositoryName, layerDigests: [layer.digest] }));
    await waitForFinalStatus(longshore.endpoint, uploadId);
    const polls = delta(before.api, await scrapeMetrics(apiUrl()), 'longshore_api_requests_total', {
      operation: 'v1.GetUpload',
      outcome: 'ok',
    });
    expect((await getUpload(longshore.endpoint, unknown)).status).toBe(404);
    expect((await getUpload(longshore.endpoint, 'nope')).status).toBe(400);
    const api = await scrapeMetrics(apiUrl());
    const worker = await workerSettled(before.worker, 'completed');

    expect(
      delta(before.api, api, 'longshore_api_requests_total', { operation: 'v1.CompleteUpload', outcome: 'ok' }),
    ).toBe(1);
    expect(polls).toBeGreaterThanOrEqual(1);
    expect(delta(before.api, api, 'longshore_api_requests_total', { operation: 'v1.GetUpload', outcome: 'ok' })).toBe(
      polls,
    );
    expect(
      delta(before.api, api, 'longshore_api_requests_total', {
        operation: 'v1.GetUpload',
        outcome: 'UploadNotFoundException',
      }),
    ).toBe(1);
    expect(
      delta(before.api, api, 'longshore_api_requests_total', {
        operation: 'v1.GetUpload',
        outcome: 'InvalidParameterException',
      }),
    ).toBe(1);
    expect(delta(before.api, api, 'longshore_api_requests_total')).toBe(polls + 3);
    // An async completion is not an answered CompleteLayerUpload.
    expect(delta(before.api, api, 'longshore_uploads_completed_total')).toBe(0);
    expect(delta(before.api, api, 'longshore_uploads_failed_total')).toBe(0);

    expectBoundedLabels([api, worker], [uploadId, unknown, layer.digest, repositoryName]);
  });

  it('counts the bytes of large parts checked in the background: none on local files (flushed, not read back), each part at least once on S3', async () => {
    const repositoryName = await newRepository();
    const layer = randomLayer(13 * MiB);
    const before = await scrape();
    const local = e2eBackend() === 'filesystem';

    // Both parts (7 and 6 MiB) are at least BACKGROUND_VERIFY_MIN_BYTES. On local part files they
    // carry this boot's mark: they are only flushed (`flushOnly`), never read back. Written straight
    // to the disk, they wait for a 64 MiB flush batch (none here) and completion fsyncs them;
    // through the page cache, a job each. On S3 each part is read back and checked.
    const uploadId = await uploadParts(longshore.ecr, repositoryName, layer.bytes, 7 * MiB);
    if (local) {
      const redis = longshore.connectRedis();
      try {
        const checked = longshore.keys.uploadVerifiedParts(uploadId);
        expect((await redis.smembers(checked)).filter((m) => !m.startsWith('ok:'))).toEqual([]);
      } finally {
        await redis.quit();
      }
    }
    const completed = await longshore.ecr.send(
      new CompleteLayerUploadCommand({ repositoryName, uploadId, layerDigests: [layer.digest] }),
    );
    expect(completed.layerDigest).toBe(layer.digest);
    const worker = await workerSettled(before.worker, 'completed');

    const verified = delta(before.worker, worker, 'longshore_worker_verified_bytes_total');
    if (local) expect(verified).toBe(0);
    else {
      // Each part is read once, in the background or at finalization; a part whose background
      // check was still running when finalization began may be read by both.
      expect(verified).toBeGreaterThanOrEqual(layer.bytes.length);
      expect(verified).toBeLessThanOrEqual(2 * layer.bytes.length);
      expect(verified % MiB).toBe(0);
    }
    expect(delta(before.worker, worker, 'longshore_worker_jobs_total', { outcome: 'completed', error: '' })).toBe(1);
  });

  it('adds the bytes of a newly stored blob to longshore_stored_blob_bytes', async () => {
    const repositoryName = await newRepository();
    const layer = randomLayer(3 * MiB + 17);
    const before = await scrape();

    await pushLayer(longshore.ecr, repositoryName, layer, 5 * MiB);
    const after = await workerSettled(before.worker, 'completed');

    expect(delta(before.worker, after, 'longshore_stored_blob_bytes')).toBe(layer.bytes.length);
  });

  it('reports the age of the oldest waiting job per queue, and 0 once none waits', async () => {
    const redis = longshore.connectRedis({ blocking: true });
    const events = new Queue(EVENT_QUEUE, { connection: redis, prefix: longshore.config.queuePrefix });
    const oldest = async () =>
      sampleSum(await scrapeMetrics(workerUrl()), 'longshore_queue_oldest_waiting_seconds', { queue: EVENT_QUEUE });
    try {
      expect(await oldest()).toBe(0);
      // Paused, the queue keeps the job waiting: it ages until it is taken.
      await events.pause();
      const job = await events.add('never-delivered', {}, { timestamp: Date.now() - 120_000 });
      const first = await oldest();
      expect(first).toBeGreaterThanOrEqual(120);
      await expect.poll(oldest, { timeout: 15_000, interval: 50 }).toBeGreaterThan(first);
      await job.remove();
      expect(await oldest()).toBe(0);
    } finally {
      await events.resume();
      await events.close();
      await redis.quit();
    }
  });
});

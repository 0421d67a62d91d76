import { randomBytes } from 'node:crypto';
import { CreateBucketCommand, S3Client } from '@aws-sdk/client-s3';
import {
  CompleteLayerUploadCommand,
  CreateRepositoryCommand,
  InitiateLayerUploadCommand,
  UploadLayerPartCommand,
} from '@aws-sdk/client-ecr';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { downloadedDigest } from '../support/download-layer.js';
import { MiB, randomLayer, uploadParts } from '../support/layer-data.js';
import { ecrClient, type Longshore, startLongshore } from '../support/longshore-harness.js';
import { sampleSum, scrapeMetrics } from '../support/prometheus-text.js';
import { startThrottlingS3Proxy, type ThrottlingS3Proxy } from '../support/throttling-s3-proxy.js';

// A throttling object store: a proxy in front of the real Swift answers S3's 503 SlowDown to the
// requests a test chooses. Longshore (API and worker) reaches the store only through it.
const s3 = inject('s3');
const bucket = `throttle-${randomBytes(6).toString('hex')}`;

describe('an S3 store that throttles (SlowDown, 503)', () => {
  let proxy: ThrottlingS3Proxy;
  let longshore: Longshore;
  const repositoryName = 'throttled/app';
  beforeAll(async () => {
    const client = new S3Client({
      endpoint: s3.endpoint,
      region: s3.region,
      forcePathStyle: true,
      credentials: { accessKeyId: s3.accessKeyId, secretAccessKey: s3.secretAccessKey },
    });
    await client.send(new CreateBucketCommand({ Bucket: bucket }));
    client.destroy();
    proxy = await startThrottlingS3Proxy(s3.endpoint);
    longshore = await startLongshore({
      env: {
        REDIS_URL: inject('redisClusterUrl'),
        STORAGE: 's3',
        S3_ENDPOINT: proxy.endpoint,
        S3_BUCKET: bucket,
        S3_REGION: s3.region,
        S3_PREFIX: 'registry',
        S3_FORCE_PATH_STYLE: 'true',
        // Few tries per S3 request, so sustained throttling reaches the clients quickly.
        S3_MAX_ATTEMPTS: '4',
        FINALIZE_ATTEMPTS: '2',
        COMPLETE_WAIT_MS: '2000',
        AWS_ACCESS_KEY_ID: s3.accessKeyId,
        AWS_SECRET_ACCESS_KEY: s3.secretAccessKey,
      },
    });
    await longshore.ecr.send(new CreateRepositoryCommand({ repositoryName }));
  });
  afterAll(async () => {
    await longshore?.close();
    await proxy?.close();
  });

  /** CompleteLayerUpload as a client retries it: again while the answer is "still being finalized". */
  async function complete(uploadId: string, digest: string) {
    for (let tries = 1; ; tries++) {
      const answer = await longshore.ecr
        .send(new CompleteLayerUploadCommand({ repositoryName, uploadId, layerDigests: [digest] }))
        .catch((e: unknown) => e as Error);
      if (!(answer instanceof Error)) return answer;
      if (tries === 30 || answer.name !== 'ServerException' || !/still being finalized/.test(answer.message))
        throw answer;
    }
  }

  const download = (digest: string) =>
    downloadedDigest(longshore.ecr, (url) => longshore.fetch(url), repositoryName, digest);

  it('retries throttled requests: a push during some throttling succeeds', async () => {
    const layer = randomLayer(11 * MiB);
    const before = proxy.throttled;
    // Every other request to the store, whatever it is (parts, completion, reads), is throttled,
    // six in all: each is retried by the driver, and the client (no retries of its own) never knows.
    proxy.throttle({ count: 6, every: 2 });
    const uploadId = await uploadParts(longshore.ecr, repositoryName, layer.bytes, 5 * MiB);
    const completed = await complete(uploadId, layer.digest);
    expect(completed.layerDigest).toBe(layer.digest);
    expect(proxy.throttled - before).toBe(6);
    proxy.stop();
    expect(await download(layer.digest)).toBe(layer.digest);
  });

  it('answers sustained throttling as retryable on every wire, and loses nothing once it stops', async () => {
    const layer = randomLayer(6 * MiB);
    const { uploadId } = await longshore.ecr.send(new InitiateLayerUploadCommand({ repositoryName }));
    proxy.throttle({ match: /^PUT / });
    try {
      // ECR: a ThrottlingException with 503 and Retry-After, which the SDK itself retries.
      const part = new UploadLayerPartCommand({
        repositoryName,
        uploadId,
        partFirstByte: 0,
        partLastByte: 5 * MiB - 1,
        layerPartBlob: layer.bytes.subarray(0, 5 * MiB),
      });
      const ecrError = (await ecrClient(longshore.endpoint, 2)
        .send(part)
        .catch((e: unknown) => e)) as Error & { $metadata: { httpStatusCode: number; attempts: number } };
      expect(ecrError.name).toBe('ThrottlingException');
      expect(ecrError.$metadata.httpStatusCode).toBe(503);
      expect(ecrError.$metadata.attempts).toBe(2);

      // /v2: 503 UNAVAILABLE with Retry-After.
      const started = await longshore.fetch(`/v2/${repositoryName}/blobs/uploads/`, { method: 'POST' });
      expect(started.status).toBe(202);
      const chunk = await longshore.fetch(started.headers.get('location')!, {
        method: 'PATCH',
        headers: { 'content-type': 'application/octet-stream', 'content-range': `0-${5 * MiB - 1}` },
        body: layer.bytes.subarray(0, 5 * MiB),
      });
      expect(chunk.status).toBe(503);
      expect(chunk.headers.get('retry-after')).toBe('1');
      expect(((await chunk.json()) as { errors: { code: string }[] }).errors[0]!.code).toBe('UNAVAILABLE');

      // /v1: 503 SERVICE_UNAVAILABLE in its envelope, with Retry-After.
      const v1 = await longshore.fetch(`/v1/uploads/${uploadId}/parts`, {
        method: 'PUT',
        headers: { 'content-type': 'application/octet-stream', 'content-range': `bytes 0-${5 * MiB - 1}/*` },
        body: layer.bytes.subarray(0, 5 * MiB),
      });
      expect(v1.status).toBe(503);
      expect(v1.headers.get('retry-after')).toBe('1');
      expect(JSON.stringify(await v1.json())).toContain('SERVICE_UNAVAILABLE');
    } finally {
      proxy.stop();
    }

    // Throttling over: the same upload takes the same part again, completes, and serves the layer.
    await longshore.ecr.send(
      new UploadLayerPartCommand({
        repositoryName,
        uploadId,
        partFirstByte: 0,
        partLastByte: layer.bytes.length - 1,
        layerPartBlob: layer.bytes,
      }),
    );
    const completed = await complete(uploadId!, layer.digest);
    expect(completed.layerDigest).toBe(layer.digest);
    expect(await download(layer.digest)).toBe(layer.digest);
  });

  it('delays a finalization the store throttles, beyond its attempts, instead of failing the upload', async () => {
    const layer = randomLayer(11 * MiB);
    const uploadId = await uploadParts(longshore.ecr, repositoryName, layer.bytes, 5 * MiB);
    const throttledRetries = async () =>
      sampleSum(
        await scrapeMetrics(`http://127.0.0.1:${longshore.workers[0]!.port}/metrics`),
        'longshore_worker_jobs_total',
        {
          outcome: 'retry',
          error: 'StorageThrottledError',
        },
      );
    const before = await throttledRetries();
    proxy.throttle();
    try {
      // The wait for the worker times out (COMPLETE_WAIT_MS) with a retryable ServerException.
      const waiting = (await longshore.ecr
        .send(new CompleteLayerUploadCommand({ repositoryName, uploadId, layerDigests: [layer.digest] }))
        .catch((e: unknown) => e)) as Error;
      expect(waiting.name).toBe('ServerException');
      expect(waiting.message).toMatch(/still being finalized/);
      // More throttled runs than FINALIZE_ATTEMPTS allows failures: none of them counted as one.
      await expect.poll(throttledRetries, { timeout: 60_000, interval: 100 }).toBeGreaterThanOrEqual(before + 3);
    } finally {
      proxy.stop();
    }
    const completed = await complete(uploadId!, layer.digest);
    expect(completed.layerDigest).toBe(layer.digest);
    expect(await download(layer.digest)).toBe(layer.digest);
  });
});

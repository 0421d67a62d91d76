import { randomUUID } from 'node:crypto';
import {
  CreateRepositoryCommand,
  GetDownloadUrlForLayerCommand,
  InitiateLayerUploadCommand,
  type ECRClient,
} from '@aws-sdk/client-ecr';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MiB, digestOf, pushLayer, randomLayer, uploadParts } from '../support/layer-data.js';
import { startLongshore, type Longshore } from '../support/longshore-harness.js';
import { readGauge, scrapeMetrics } from '../support/prometheus-text.js';
import {
  ISO_SECONDS,
  callJson,
  completeUpload,
  dataOf,
  errorOf,
  getUpload,
  putPart,
  waitForFinalStatus,
  type StatusRecord,
} from '../support/status-client.js';

const ALLOWED_CALLBACKS = 'http://127.0.0.1:9/hooks/';

let repositorySeq = 0;
async function createRepository(ecr: ECRClient): Promise<string> {
  repositorySeq += 1;
  const repositoryName = `status/r${repositorySeq}`;
  await ecr.send(new CreateRepositoryCommand({ repositoryName }));
  return repositoryName;
}

function expectTimestamps(record: StatusRecord): void {
  expect(record.created_at).toMatch(ISO_SECONDS);
  expect(record.updated_at).toMatch(ISO_SECONDS);
  if (record.completed_at !== null) expect(record.completed_at).toMatch(ISO_SECONDS);
}

describe('the JSON status API (/v1)', () => {
  let longshore: Longshore;
  let endpoint: string;
  let ecr: ECRClient;
  beforeAll(async () => {
    longshore = await startLongshore({
      env: { CALLBACK_ALLOWLIST: ALLOWED_CALLBACKS, CALLBACK_SECRET: 'status-api-test-secret' },
    });
    endpoint = longshore.endpoint;
    ecr = longshore.ecr;
  });
  afterAll(() => longshore?.close());

  it('completes asynchronously, then a long poll follows the upload to completed', async () => {
    const repositoryName = await createRepository(ecr);
    const layer = randomLayer(6 * MiB + 123);
    const uploadId = await uploadParts(ecr, repositoryName, layer.bytes, 5 * MiB);

    const before = dataOf(await getUpload(endpoint, uploadId));
    expect(before).toMatchObject({
      id: uploadId,
      uploadId,
      repositoryName,
      registryId: '000000000000',
      status: 'uploading',
      bytesReceived: layer.bytes.length,
      partsReceived: 2,
      jobId: null,
      layerDigest: null,
      layerSize: null,
      error: null,
      completed_at: null,
    });
    expectTimestamps(before);

    const accepted = await completeUpload(endpoint, uploadId, { repositoryName, layerDigests: [layer.digest] });
    expect(accepted.status).toBe(202);
    const job = dataOf(accepted);
    expect(job.id).toBe(`finalize-${uploadId}`);
    expect(job.uploadId).toBe(uploadId);
    expect(['queued', 'finalizing', 'completed']).toContain(job.status);
    expect(job.created_at).toMatch(ISO_SECONDS);
    expect(job.created_at).toBe(before.created_at);
    expect(job.statusUrl).toBe(`/v1/uploads/${uploadId}`);

    const done = await waitForFinalStatus(endpoint, uploadId);
    expect(done).toMatchObject({
      uploadId,
      status: 'completed',
      jobId: `finalize-${uploadId}`,
      layerDigest: layer.digest,
      layerSize: layer.bytes.length,
      error: null,
    });
    expect(done.completed_at).not.toBeNull();
    expectTimestamps(done);
  });

  it('holds a long poll until the status changes, and answers at once on the change', async () => {
    const repositoryName = await createRepository(ecr);
    const layer = randomLayer(4096);
    const uploadId = await uploadParts(ecr, repositoryName, layer.bytes, 5 * MiB);

    const waitsBefore = readGauge(await scrapeMetrics(longshore.metricsUrl), 'longshore_api_inflight_waits');
    const started = Date.now();
    const poll = getUpload(endpoint, uploadId, 50);
    // The poll is pending once the API counts one more waiter (bounded polling of real state).
    await expect
      .poll(async () => readGauge(await scrapeMetrics(longshore.metricsUrl), 'longshore_api_inflight_waits'), {
        timeout: 10_000,
        interval: 20,
      })
      .toBe(waitsBefore + 1);

    dataOf(await completeUpload(endpoint, uploadId, { repositoryName, layerDigests: [layer.digest] }));
    const answer = await poll;
    expect(answer.status).toBe(200);
    expect(['queued', 'finalizing', 'completed']).toContain(dataOf(answer).status);
    expect(Date.now() - started).toBeLessThan(20_000);

    // A poll of a finished upload answers at once, whatever it asked to wait.
    await waitForFinalStatus(endpoint, uploadId);
    const startedFinal = Date.now();
    expect(dataOf(await getUpload(endpoint, uploadId, 50)).status).toBe('completed');
    expect(Date.now() - startedFinal).toBeLessThan(5_000);
    // wait=0 is a plain read.
    expect(dataOf(await getUpload(endpoint, uploadId, 0)).status).toBe('completed');
  });

  it('reports a layer whose digest does not match as failed with InvalidLayerException', async () => {
    const repositoryName = await createRepository(ecr);
    const layer = randomLayer(2048);
    const uploadId = await uploadParts(ecr, repositoryName, layer.bytes, 5 * MiB);
    const wrongDigest = digestOf(Buffer.from('not the layer'));

    dataOf(await completeUpload(endpoint, uploadId, { repositoryName, layerDigests: [wrongDigest] }));
    const failed = await waitForFinalStatus(endpoint, uploadId);
    expect(failed.status).toBe('failed');
    expect(failed.layerDigest).toBeNull();
    expect(failed.layerSize).toBeNull();
    expect(failed.error).toMatchObject({ name: 'InvalidLayerException', code: 'INVALID_LAYER' });
    expect(failed.error?.message).toContain(layer.digest);
    expect(failed.completed_at).not.toBeNull();
    expectTimestamps(failed);
  });

  it('shows an upload completed through the ECR API (CompleteLayerUpload) as completed', async () => {
    const repositoryName = await createRepository(ecr);
    const layer = randomLayer(3 * MiB);
    const { uploadId } = await pushLayer(ecr, repositoryName, layer);

    const record = dataOf(await getUpload(endpoint, uploadId));
    expect(record).toMatchObject({
      uploadId,
      repositoryName,
      status: 'completed',
      jobId: `finalize-${uploadId}`,
      layerDigest: layer.digest,
      layerSize: layer.bytes.length,
      bytesReceived: layer.bytes.length,
      partsReceived: 1,
      error: null,
    });
    expectTimestamps(record);
    expect(record.completed_at).toMatch(ISO_SECONDS);
  });

  it('joins the running job when the completion is repeated, and after it finished', async () => {
    const repositoryName = await createRepository(ecr);
    const layer = randomLayer(1500);
    const uploadId = await uploadParts(ecr, repositoryName, layer.bytes, 5 * MiB);
    const body = { repositoryName, layerDigests: [layer.digest] };

    const [first, second] = await Promise.all([
      completeUpload(endpoint, uploadId, body),
      completeUpload(endpoint, uploadId, body),
    ]);
    expect(first.status).toBe(202);
    expect(second.status).toBe(202);
    expect(dataOf(second).id).toBe(dataOf(first).id);

    await waitForFinalStatus(endpoint, uploadId);
    const third = await completeUpload(endpoint, uploadId, body);
    expect(third.status).toBe(202);
    expect(dataOf(third)).toMatchObject({ id: dataOf(first).id, uploadId, status: 'completed' });
  });

  it('answers 404 UPLOAD_NOT_FOUND for an upload nobody started', async () => {
    const repositoryName = await createRepository(ecr);
    const unknown = randomUUID();

    const status = await getUpload(endpoint, unknown);
    expect(status.status).toBe(404);
    expect(status.body).toEqual({
      success: false,
      error: { code: 'UPLOAD_NOT_FOUND', message: expect.stringContaining(unknown) },
    });

    const polled = await getUpload(endpoint, unknown, 5);
    expect(polled.status).toBe(404);
    expect(errorOf(polled).code).toBe('UPLOAD_NOT_FOUND');

    const completed = await completeUpload(endpoint, unknown, {
      repositoryName,
      layerDigests: [digestOf(Buffer.from('x'))],
    });
    expect(completed.status).toBe(404);
    expect(errorOf(completed).code).toBe('UPLOAD_NOT_FOUND');

    const part = await putPart(endpoint, unknown, Buffer.from('abc'), 0);
    expect(part.status).toBe(404);
    expect(errorOf(part).code).toBe('UPLOAD_NOT_FOUND');
  });

  describe('refuses bad input with 400 VALIDATION_ERROR naming the field', () => {
    let repositoryName: string;
    let uploadId: string;
    const digest = digestOf(Buffer.from('layer'));
    beforeAll(async () => {
      repositoryName = await createRepository(ecr);
      const { uploadId: id } = await ecr.send(new InitiateLayerUploadCommand({ repositoryName }));
      uploadId = id!;
    });

    async function expectValidationError(answer: Promise<Awaited<ReturnType<typeof callJson>>>, field: string) {
      const { status, body } = await answer;
      expect(status).toBe(400);
      expect(body.success).toBe(false);
      if (body.success) return;
      expect(body.error.code).toBe('VALIDATION_ERROR');
      expect(body.error.field).toBe(field);
      expect(body.error.message).toContain(field);
    }

    it('repositoryName', async () => {
      await expectValidationError(
        completeUpload(endpoint, uploadId, { repositoryName: 'Bad_Name!', layerDigests: [digest] }),
        'repositoryName',
      );
      await expectValidationError(
        completeUpload(endpoint, uploadId, { repositoryName: 'x', layerDigests: [digest] }),
        'repositoryName',
      );
      await expectValidationError(completeUpload(endpoint, uploadId, { layerDigests: [digest] }), 'repositoryName');
      await expectValidationError(
        completeUpload(endpoint, uploadId, { repositoryName: 42, layerDigests: [digest] }),
        'repositoryName',
      );
    });

    it('layerDigests', async () => {
      await expectValidationError(
        completeUpload(endpoint, uploadId, { repositoryName, layerDigests: [] }),
        'layerDigests',
      );
      await expectValidationError(completeUpload(endpoint, uploadId, { repositoryName }), 'layerDigests');
      await expectValidationError(
        completeUpload(endpoint, uploadId, { repositoryName, layerDigests: 'sha256:abc' }),
        'layerDigests',
      );
      await expectValidationError(
        completeUpload(endpoint, uploadId, { repositoryName, layerDigests: ['nope'] }),
        'layerDigests.1.member',
      );
      await expectValidationError(
        completeUpload(endpoint, uploadId, { repositoryName, layerDigests: [digest, 42] }),
        'layerDigests.2.member',
      );
    });

    it('registryId', async () => {
      await expectValidationError(
        completeUpload(endpoint, uploadId, { repositoryName, layerDigests: [digest], registryId: '12' }),
        'registryId',
      );
    });

    it('uploadId (the path)', async () => {
      await expectValidationError(getUpload(endpoint, 'not-an-upload-id'), 'uploadId');
      await expectValidationError(
        completeUpload(endpoint, 'not-an-upload-id', { repositoryName, layerDigests: [digest] }),
        'uploadId',
      );
      await expectValidationError(putPart(endpoint, 'not-an-upload-id', Buffer.from('abc'), 0), 'uploadId');
    });

    it('wait', async () => {
      for (const wait of ['soon', '-1', '100000', 'Infinity', '', '0x10', '1e1', '%201', '1.']) {
        await expectValidationError(callJson(endpoint, 'GET', `/v1/uploads/${uploadId}?wait=${wait}`), 'wait');
      }
      await expectValidationError(callJson(endpoint, 'GET', `/v1/uploads/${uploadId}?wait=1&wait=2`), 'wait');
      // Fractions of a second are fine.
      expect(dataOf(await callJson<StatusRecord>(endpoint, 'GET', `/v1/uploads/${uploadId}?wait=0.05`)).status).toBe(
        'uploading',
      );
    });

    it('callbackUrl', async () => {
      for (const callbackUrl of [
        'http://127.0.0.1:9/elsewhere',
        'http://127.0.0.1:90/hooks/',
        'https://127.0.0.1:9/hooks/',
        'http://user:pass@127.0.0.1:9/hooks/',
        'ftp://127.0.0.1:9/hooks/',
        'not a url',
        42,
      ]) {
        await expectValidationError(
          completeUpload(endpoint, uploadId, { repositoryName, layerDigests: [digest], callbackUrl }),
          'callbackUrl',
        );
      }
    });

    it('Content-Range of a raw part', async () => {
      for (const range of [undefined, 'bytes 0-9', 'bytes 9-0/*', 'items 0-9/*']) {
        const answer = callJson(endpoint, 'PUT', `/v1/uploads/${uploadId}/parts`, {
          headers: { 'content-type': 'application/octet-stream', ...(range ? { 'content-range': range } : {}) },
          body: Buffer.alloc(10),
        });
        await expectValidationError(answer, 'Content-Range');
      }
    });

    it('a body that is not a JSON object', async () => {
      for (const body of ['{"repositoryName":', '[]', '"text"', 'null']) {
        const answer = callJson(endpoint, 'POST', `/v1/uploads/${uploadId}/complete`, {
          headers: { 'content-type': 'application/json' },
          body,
        });
        await expectValidationError(answer, 'body');
      }
    });

    it('and the upload is untouched by all of it', async () => {
      const record = dataOf(await getUpload(endpoint, uploadId));
      expect(record).toMatchObject({ status: 'uploading', bytesReceived: 0, partsReceived: 0, jobId: null });
    });
  });

  it('takes raw parts with Content-Range, refuses an out-of-order part with 416, then completes', async () => {
    const repositoryName = await createRepository(ecr);
    const { uploadId } = await ecr.send(new InitiateLayerUploadCommand({ repositoryName }));
    const layer = randomLayer(5 * MiB + 4321);
    const firstPart = layer.bytes.subarray(0, 5 * MiB);
    const lastPart = layer.bytes.subarray(5 * MiB);

    const first = await putPart(endpoint, uploadId!, firstPart, 0);
    expect(first.status).toBe(200);
    expect(dataOf(first)).toMatchObject({ uploadId, lastByteReceived: 5 * MiB - 1, bytesReceived: 5 * MiB });

    // Skipping ahead leaves a hole: refused, and the answer says where to resume.
    const skipped = await putPart(endpoint, uploadId!, lastPart.subarray(100), 5 * MiB + 100);
    expect(skipped.status).toBe(416);
    const skippedError = errorOf(skipped);
    expect(skippedError.code).toBe('INVALID_LAYER_PART');
    expect(skippedError.details).toMatchObject({ lastValidByteReceived: 5 * MiB - 1, uploadId, repositoryName });

    // Sending the first part again is out of order too.
    const repeated = await putPart(endpoint, uploadId!, firstPart, 0);
    expect(repeated.status).toBe(416);
    expect(errorOf(repeated).details).toMatchObject({ lastValidByteReceived: 5 * MiB - 1 });

    // A body that does not fill its declared range exactly is refused, and changes nothing.
    for (const [body, range] of [
      [lastPart.subarray(10), `bytes ${5 * MiB}-${layer.bytes.length - 1}/*`],
      [lastPart, `bytes ${5 * MiB}-${layer.bytes.length - 11}/*`],
    ] as const) {
      const mismatched = await callJson(endpoint, 'PUT', `/v1/uploads/${uploadId}/parts`, {
        headers: { 'content-type': 'application/octet-stream', 'content-range': range },
        body,
      });
      expect(mismatched.status).toBe(400);
      expect(errorOf(mismatched)).toMatchObject({ code: 'VALIDATION_ERROR', field: 'body' });
    }
    expect(dataOf(await getUpload(endpoint, uploadId!))).toMatchObject({ bytesReceived: 5 * MiB, partsReceived: 1 });

    const last = await putPart(endpoint, uploadId!, lastPart, 5 * MiB);
    expect(last.status).toBe(200);
    expect(dataOf(last)).toMatchObject({ lastByteReceived: layer.bytes.length - 1, bytesReceived: layer.bytes.length });

    const uploading = dataOf(await getUpload(endpoint, uploadId!));
    expect(uploading).toMatchObject({ status: 'uploading', bytesReceived: layer.bytes.length, partsReceived: 2 });

    dataOf(await completeUpload(endpoint, uploadId!, { repositoryName, layerDigests: [layer.digest] }));
    const done = await waitForFinalStatus(endpoint, uploadId!);
    expect(done).toMatchObject({ status: 'completed', layerDigest: layer.digest, layerSize: layer.bytes.length });

    // The stored layer is exactly the bytes sent.
    const { downloadUrl } = await ecr.send(
      new GetDownloadUrlForLayerCommand({ repositoryName, layerDigest: layer.digest }),
    );
    const download = await fetch(downloadUrl!);
    expect(download.status).toBe(200);
    expect(digestOf(Buffer.from(await download.arrayBuffer()))).toBe(layer.digest);
  });
});

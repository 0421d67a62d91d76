import { createHmac } from 'node:crypto';
import { CreateRepositoryCommand, type ECRClient } from '@aws-sdk/client-ecr';
import { CALLBACK_QUEUE, FINALIZE_QUEUE, callbackJobId, finalizeJobId, type RedisClient } from '@longshore/queue';
import { Queue } from 'bullmq';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startCallbackReceiver, type CallbackReceiver, type ReceivedCallback } from '../support/callback-receiver.js';
import { digestOf, randomLayer, uploadParts } from '../support/layer-data.js';
import { startLongshore, type Longshore } from '../support/longshore-harness.js';
import { completeUpload, dataOf, getUpload, waitForFinalStatus, type StatusRecord } from '../support/status-client.js';

const SECRET = 'callbacks-e2e-secret';
const ATTEMPTS = 3;
const BACKOFF_MS = 100;

describe('callbacks: the final status record, POSTed signed to the callback URL', () => {
  let receiver: CallbackReceiver;
  let longshore: Longshore;
  let ecr: ECRClient;
  let endpoint: string;
  let redis: RedisClient;
  let callbacks: Queue;
  let finalize: Queue;
  let seq = 0;

  beforeAll(async () => {
    receiver = await startCallbackReceiver();
    longshore = await startLongshore({
      env: {
        CALLBACK_ALLOWLIST: receiver.baseUrl,
        CALLBACK_SECRET: SECRET,
        CALLBACK_ATTEMPTS: String(ATTEMPTS),
        CALLBACK_BACKOFF_MS: String(BACKOFF_MS),
      },
    });
    ecr = longshore.ecr;
    endpoint = longshore.endpoint;
    // The worker's own queues, read (never written) to see where each delivery stands.
    redis = longshore.connectRedis({ blocking: true });
    callbacks = new Queue(CALLBACK_QUEUE, { connection: redis, prefix: longshore.config.queuePrefix });
    finalize = new Queue(FINALIZE_QUEUE, { connection: redis, prefix: longshore.config.queuePrefix });
  });
  afterAll(async () => {
    await callbacks?.close();
    await finalize?.close();
    await redis?.quit();
    await longshore?.close();
    await receiver?.close();
  });

  async function uploadWithParts(bytes: Buffer): Promise<{ repositoryName: string; uploadId: string }> {
    seq += 1;
    const repositoryName = `callbacks/r${seq}`;
    await ecr.send(new CreateRepositoryCommand({ repositoryName }));
    return { repositoryName, uploadId: await uploadParts(ecr, repositoryName, bytes, 5 * 1024 * 1024) };
  }

  /** Bounded polling of the delivery job's real state in Redis until it reaches `state`. */
  async function deliveryReaches(uploadId: string, state: 'completed' | 'failed'): Promise<void> {
    await expect
      .poll(() => callbacks.getJobState(callbackJobId(uploadId)), { timeout: 20_000, interval: 20 })
      .toBe(state);
  }

  function expectSigned(delivery: ReceivedCallback): void {
    const expected = `sha256=${createHmac('sha256', SECRET).update(delivery.rawBody).digest('hex')}`;
    expect(delivery.headers['x-longshore-signature']).toBe(expected);
    // The signature depends on the secret: any other key gives another one.
    expect(`sha256=${createHmac('sha256', `${SECRET}x`).update(delivery.rawBody).digest('hex')}`).not.toBe(expected);
  }

  function bodyOf(delivery: ReceivedCallback): StatusRecord {
    return JSON.parse(delivery.rawBody.toString('utf8')) as StatusRecord;
  }

  it('delivers the completed record, signed, retried after a 500, and delivered successfully exactly once', async () => {
    const path = '/hooks/completed';
    receiver.answer(path, [500, 200]);
    const layer = randomLayer(4096);
    const { repositoryName, uploadId } = await uploadWithParts(layer.bytes);
    const request = {
      repositoryName,
      layerDigests: [layer.digest],
      callbackUrl: `${receiver.baseUrl}${path.slice(1)}`,
    };

    // Asked twice (a CI retry): one upload, one job, one delivery.
    const [first, second] = await Promise.all([
      completeUpload(endpoint, uploadId, request),
      completeUpload(endpoint, uploadId, request),
    ]);
    expect(first.status).toBe(202);
    expect(dataOf(second).id).toBe(dataOf(first).id);
    const record = await waitForFinalStatus(endpoint, uploadId);
    expect(record.status).toBe('completed');

    await deliveryReaches(uploadId, 'completed');
    const job = await callbacks.getJob(callbackJobId(uploadId));
    expect(job?.returnvalue).toBe(200);
    // Nothing else is waiting to be delivered: no retry, no second job.
    expect(await callbacks.getJobCounts('waiting', 'active', 'delayed', 'prioritized', 'waiting-children')).toEqual({
      waiting: 0,
      active: 0,
      delayed: 0,
      prioritized: 0,
      'waiting-children': 0,
    });

    const deliveries = receiver.receivedOn(path);
    expect(deliveries.map((d) => d.answered)).toEqual([500, 200]);
    expect(deliveries[1]!.receivedAt - deliveries[0]!.receivedAt).toBeGreaterThanOrEqual(BACKOFF_MS * 0.9);
    const current = dataOf(await getUpload(endpoint, uploadId));
    for (const delivery of deliveries) {
      expect(delivery.method).toBe('POST');
      expect(delivery.headers['content-type']).toMatch(/^application\/json/);
      expect(delivery.headers['x-longshore-event']).toBe('upload.completed');
      expect(delivery.headers['x-longshore-delivery']).toBe(callbackJobId(uploadId));
      expectSigned(delivery);
      expect(bodyOf(delivery)).toEqual(current);
    }
    expect(bodyOf(deliveries[1]!)).toMatchObject({
      uploadId,
      repositoryName,
      status: 'completed',
      layerDigest: layer.digest,
      layerSize: layer.bytes.length,
      error: null,
    });
  });

  it('delivers the failed record of a layer whose digest does not match', async () => {
    const path = '/hooks/failed';
    const layer = randomLayer(3000);
    const { repositoryName, uploadId } = await uploadWithParts(layer.bytes);
    const accepted = await completeUpload(endpoint, uploadId, {
      repositoryName,
      layerDigests: [digestOf(Buffer.from('a different layer'))],
      callbackUrl: `${receiver.baseUrl}${path.slice(1)}`,
    });
    expect(accepted.status).toBe(202);

    await deliveryReaches(uploadId, 'completed');
    const deliveries = receiver.receivedOn(path);
    expect(deliveries.map((d) => d.answered)).toEqual([200]);
    const [delivery] = deliveries;
    expectSigned(delivery!);
    expect(delivery!.headers['x-longshore-event']).toBe('upload.failed');
    const body = bodyOf(delivery!);
    expect(body).toMatchObject({
      uploadId,
      status: 'failed',
      layerDigest: null,
      error: { name: 'InvalidLayerException', code: 'INVALID_LAYER' },
    });
    expect(body).toEqual(dataOf(await getUpload(endpoint, uploadId)));
  });

  it('gives up after CALLBACK_ATTEMPTS refused deliveries, without touching the upload', async () => {
    const path = '/hooks/down';
    receiver.answer(path, [503]);
    const layer = randomLayer(2000);
    const { repositoryName, uploadId } = await uploadWithParts(layer.bytes);
    dataOf(
      await completeUpload(endpoint, uploadId, {
        repositoryName,
        layerDigests: [layer.digest],
        callbackUrl: `${receiver.baseUrl}${path.slice(1)}`,
      }),
    );

    await deliveryReaches(uploadId, 'failed');
    const deliveries = receiver.receivedOn(path);
    expect(deliveries.map((d) => d.answered)).toEqual(Array(ATTEMPTS).fill(503));
    // Exponential backoff: each wait at least the one before (BACKOFF_MS, then twice that).
    const gaps = deliveries.slice(1).map((d, i) => d.receivedAt - deliveries[i]!.receivedAt);
    expect(gaps[0]).toBeGreaterThanOrEqual(BACKOFF_MS * 0.9);
    expect(gaps[1]).toBeGreaterThanOrEqual(2 * BACKOFF_MS * 0.9);
    expect(dataOf(await getUpload(endpoint, uploadId))).toMatchObject({
      status: 'completed',
      layerDigest: layer.digest,
    });
  });

  it('sends nothing for an upload completed without a callback URL', async () => {
    const before = receiver.received.length;
    const layer = randomLayer(1000);
    const { repositoryName, uploadId } = await uploadWithParts(layer.bytes);
    dataOf(await completeUpload(endpoint, uploadId, { repositoryName, layerDigests: [layer.digest] }));
    // The finalize job queues the delivery before it completes: once it has, none was queued.
    await expect
      .poll(() => finalize.getJobState(finalizeJobId(uploadId)), { timeout: 20_000, interval: 20 })
      .toBe('completed');
    expect(await callbacks.getJob(callbackJobId(uploadId))).toBeUndefined();
    expect(receiver.received.length).toBe(before);
  });
});

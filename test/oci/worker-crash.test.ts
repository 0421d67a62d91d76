import type { RedisClient } from '@longshore/queue';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MiB, randomLayer } from '../support/layer-data.js';
import { startLongshore, type Longshore } from '../support/longshore-harness.js';
import { completeBlobUpload, uploadBlobChunks, type StartedBlobUpload } from '../support/oci-push.js';

// As in test/ecr/worker-crash.test.ts: big enough, and verified slowly enough (a full re-hash
// on one thread on top of the part checks), that finalization is still running when the test
// sees it start and kills the worker; the test checks that it was.
const LAYER_SIZE = 100 * MiB;
const CHUNK_SIZE = 20 * MiB;
const COMPLETE_WAIT_MS = 1500;

/** Resolves with the first status record announced on `channel` whose status is `status`. */
async function announced(subscriber: RedisClient, channel: string, status: string, timeoutMs: number) {
  let onMessage!: (ch: string, message: string) => void;
  let timer!: NodeJS.Timeout;
  const seen = new Promise<Record<string, string>>((resolve, reject) => {
    onMessage = (ch, message) => {
      const record = JSON.parse(message) as Record<string, string>;
      if (ch === channel && record.status === status) resolve(record);
    };
    timer = setTimeout(
      () => reject(new Error(`no '${status}' announced on ${channel} within ${timeoutMs} ms`)),
      timeoutMs,
    );
  });
  subscriber.on('message', onMessage);
  try {
    return await seen;
  } finally {
    clearTimeout(timer);
    subscriber.off('message', onMessage);
  }
}

describe('/v2: a worker that dies while finalizing', () => {
  let longshore: Longshore;
  let redis: RedisClient;
  let subscriber: RedisClient;
  beforeAll(async () => {
    longshore = await startLongshore({
      env: {
        VERIFY_MODE: 'full',
        HASH_THREADS: '1',
        // Every chunk check at completion too, none in the background while the chunks arrive.
        BACKGROUND_VERIFY_MIN_BYTES: String(1024 * MiB),
        JOB_LOCK_MS: '1000',
        COMPLETE_WAIT_MS: String(COMPLETE_WAIT_MS),
        STATUS_POLL_MS: '200',
      },
    });
    redis = longshore.connectRedis();
    subscriber = redis.duplicate();
  });
  afterAll(async () => {
    redis?.disconnect();
    subscriber?.disconnect();
    await longshore?.close();
  });

  /** The completing PUT until it answers anything but the retryable 500, up to a deadline. */
  async function completeWithRetries(upload: StartedBlobUpload, digest: string, deadlineMs: number) {
    const deadline = Date.now() + deadlineMs;
    for (let retries = 0; ; retries++) {
      const answer = await completeBlobUpload(longshore, upload, digest);
      if (answer.status !== 500 || Date.now() > deadline) return { answer, retries };
    }
  }

  it('loses its job to a new worker, which completes the blob; the retried PUT answers 201', async () => {
    const { keys } = longshore;
    const name = 'crash/finalize';
    const layer = randomLayer(LAYER_SIZE);
    const upload = await uploadBlobChunks(longshore, name, layer.bytes, CHUNK_SIZE);

    const channel = keys.uploadEvents(upload.uploadId);
    await subscriber.subscribe(channel);
    const finalizing = announced(subscriber, channel, 'finalizing', 20_000);
    const firstPut = completeBlobUpload(longshore, upload, layer.digest);
    await finalizing;
    await longshore.workers[0]!.kill();

    // The crash came mid-way: nothing was recorded as finished.
    const afterCrash = await redis.hgetall(keys.upload(upload.uploadId));
    expect(afterCrash.status).toBe('finalizing');

    // With no worker left, the PUT can only give up waiting: a 500 that says to retry.
    const timedOut = await firstPut;
    expect(timedOut.status).toBe(500);
    const body = (await timedOut.json()) as { errors: { code: string; message: string }[] };
    expect(body.errors[0]!.code).toBe('UNKNOWN');
    expect(body.errors[0]!.message).toMatch(/retry/i);

    await longshore.startWorker();
    const { answer } = await completeWithRetries(upload, layer.digest, 30_000);
    expect(answer.status).toBe(201);
    expect(answer.headers.get('docker-content-digest')).toBe(layer.digest);

    const status = await redis.hgetall(keys.upload(upload.uploadId));
    expect(status).toMatchObject({ status: 'completed', layerDigest: layer.digest, layerSize: String(LAYER_SIZE) });
    expect(Number(status.attempts), 'the new worker finalized it again').toBeGreaterThanOrEqual(2);

    const pulled = await longshore.fetch(`/v2/${name}/blobs/${layer.digest}`);
    expect(pulled.status).toBe(200);
    const bytes = Buffer.from(await pulled.arrayBuffer());
    expect(bytes.length).toBe(LAYER_SIZE);
    expect(bytes.equals(layer.bytes)).toBe(true);

    expect(await longshore.storage.storedBlobDigests()).toEqual([layer.digest]);
    expect(await longshore.storage.storedUploads()).toEqual([]);
  });
});

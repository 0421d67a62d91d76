import type { RedisClient } from '@longshore/queue';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { finalizeHeld, holdFinalizeEnv } from '../support/finalize-hold.js';
import { MiB, randomLayer } from '../support/layer-data.js';
import { startLongshore, type Longshore } from '../support/longshore-harness.js';
import { completeBlobUpload, uploadBlobChunks, type StartedBlobUpload } from '../support/oci-push.js';
import { waitForFinalStatus } from '../support/status-client.js';

const LAYER_SIZE = 12 * MiB;
const CHUNK_SIZE = 5 * MiB;
const COMPLETE_WAIT_MS = 1500;

// As in test/ecr/worker-crash.test.ts, the crash point is chosen, not raced: the first worker
// holds its finalization after verifying, before publishing (TEST_HOLD_FINALIZE_AT), says so over
// IPC, and is killed there with SIGKILL.
describe('/v2: a worker killed while finalizing', () => {
  let longshore: Longshore;
  let redis: RedisClient;
  beforeAll(async () => {
    longshore = await startLongshore({
      workers: 0,
      env: { JOB_LOCK_MS: '1000', COMPLETE_WAIT_MS: String(COMPLETE_WAIT_MS), STATUS_POLL_MS: '200' },
    });
    redis = longshore.connectRedis();
  });
  afterAll(async () => {
    redis?.disconnect();
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

  it('loses its job to a new worker, which publishes the blob once; the retried PUT answers 201', async () => {
    const { keys } = longshore;
    const name = 'crash/finalize';
    const layer = randomLayer(LAYER_SIZE);
    const upload = await uploadBlobChunks(longshore, name, layer.bytes, CHUNK_SIZE);

    const doomed = await longshore.startWorker(holdFinalizeEnv('before-publish'));
    const held = finalizeHeld(doomed, 'before-publish', upload.uploadId);
    const firstPut = completeBlobUpload(longshore, upload, layer.digest);
    await held;
    await doomed.kill();

    // Killed after verifying, before publishing: the digest is recorded, nothing is published.
    const afterCrash = await redis.hgetall(keys.upload(upload.uploadId));
    expect(afterCrash.status).toBe('finalizing');
    expect(afterCrash.verifiedDigest).toBe(layer.digest);
    expect(await longshore.storage.storedBlobDigests()).toEqual([]);

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

    // The PUT may answer once the layer is linked, just before the worker records the outcome.
    await waitForFinalStatus(longshore.endpoint, upload.uploadId);
    const status = await redis.hgetall(keys.upload(upload.uploadId));
    expect(status).toMatchObject({ status: 'completed', layerDigest: layer.digest, layerSize: String(LAYER_SIZE) });
    expect(Number(status.attempts), 'the new worker finalized it again').toBeGreaterThanOrEqual(2);

    const pulled = await longshore.fetch(`/v2/${name}/blobs/${layer.digest}`);
    expect(pulled.status).toBe(200);
    expect(Buffer.from(await pulled.arrayBuffer()).equals(layer.bytes)).toBe(true);

    expect(await longshore.storage.storedBlobDigests()).toEqual([layer.digest]);
    expect(await longshore.storage.storedUploads()).toEqual([]);
  });
});

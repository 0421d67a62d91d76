import {
  BatchCheckLayerAvailabilityCommand,
  CompleteLayerUploadCommand,
  CreateRepositoryCommand,
  GetDownloadUrlForLayerCommand,
  ServerException,
  type CompleteLayerUploadCommandOutput,
  type ECRClient,
} from '@aws-sdk/client-ecr';
import type { RedisClient } from '@longshore/queue';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MiB, randomLayer, uploadParts } from '../support/layer-data.js';
import { startLongshore, type Longshore } from '../support/longshore-harness.js';
import { httpStatusOf, rejectionOf } from '../support/rejection.js';

// Big enough, and verified slowly enough (a full re-hash on one thread, on top of the part
// checks: about 0.4 s of hashing here), that finalization is still running when the test sees
// it start and kills the worker, a few milliseconds later; the test checks that it was.
const LAYER_SIZE = 100 * MiB;
const PART_SIZE = 20 * MiB;
const COMPLETE_WAIT_MS = 1500;

/** Resolves with the first status record announced on `channel` whose status is `status`. */
async function announced(
  subscriber: RedisClient,
  channel: string,
  status: string,
  timeoutMs: number,
): Promise<Record<string, string>> {
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

/** CompleteLayerUpload until it answers, retrying the retryable ServerException, up to a deadline. */
async function completeWithRetries(
  ecr: ECRClient,
  input: { repositoryName: string; uploadId: string; layerDigests: string[] },
  deadlineMs: number,
): Promise<{ output: CompleteLayerUploadCommandOutput; retries: number }> {
  const deadline = Date.now() + deadlineMs;
  for (let retries = 0; ; retries++) {
    try {
      return { output: await ecr.send(new CompleteLayerUploadCommand(input)), retries };
    } catch (err) {
      if (!(err instanceof ServerException) || Date.now() > deadline) throw err;
    }
  }
}

describe('a worker that dies while finalizing', () => {
  let longshore: Longshore;
  let redis: RedisClient;
  let subscriber: RedisClient;
  beforeAll(async () => {
    longshore = await startLongshore({
      env: {
        MIN_PART_SIZE: String(PART_SIZE),
        VERIFY_MODE: 'full',
        HASH_THREADS: '1',
        // Every part check at completion too, none in the background while the parts arrive.
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

  it('loses its job to a new worker, which completes the layer; the retried CompleteLayerUpload succeeds', async () => {
    const { ecr, keys } = longshore;
    const repositoryName = 'crash/finalize';
    await ecr.send(new CreateRepositoryCommand({ repositoryName }));
    const layer = randomLayer(LAYER_SIZE);
    const uploadId = await uploadParts(ecr, repositoryName, layer.bytes, PART_SIZE);
    const input = { repositoryName, uploadId, layerDigests: [layer.digest] };

    const channel = keys.uploadEvents(uploadId);
    await subscriber.subscribe(channel);
    const finalizing = announced(subscriber, channel, 'finalizing', 20_000);
    const firstComplete = ecr.send(new CompleteLayerUploadCommand(input));
    await finalizing;
    await longshore.workers[0]!.kill();

    // The crash came mid-way: nothing was recorded as finished.
    const afterCrash = await redis.hgetall(keys.upload(uploadId));
    expect(afterCrash.status).toBe('finalizing');

    // With no worker left, the first call can only give up waiting: a retryable ServerException.
    const timedOut = await rejectionOf(firstComplete, ServerException);
    expect(httpStatusOf(timedOut)).toBe(500);
    expect(timedOut.message).toMatch(/retry/i);

    await longshore.startWorker();
    const { output } = await completeWithRetries(ecr, input, 30_000);
    expect(output).toMatchObject({ repositoryName, uploadId, layerDigest: layer.digest, registryId: '000000000000' });

    const status = await redis.hgetall(keys.upload(uploadId));
    expect(status).toMatchObject({ status: 'completed', layerDigest: layer.digest, layerSize: String(LAYER_SIZE) });
    expect(Number(status.attempts), 'the new worker finalized it again').toBeGreaterThanOrEqual(2);

    const availability = await ecr.send(
      new BatchCheckLayerAvailabilityCommand({ repositoryName, layerDigests: [layer.digest] }),
    );
    expect(availability.layers).toEqual([
      { layerDigest: layer.digest, layerAvailability: 'AVAILABLE', layerSize: LAYER_SIZE },
    ]);
    const { downloadUrl } = await ecr.send(
      new GetDownloadUrlForLayerCommand({ repositoryName, layerDigest: layer.digest }),
    );
    const downloaded = Buffer.from(await (await fetch(downloadUrl!)).arrayBuffer());
    expect(downloaded.length).toBe(LAYER_SIZE);
    expect(downloaded.equals(layer.bytes)).toBe(true);

    expect(await longshore.storage.storedBlobDigests()).toEqual([layer.digest]);
    expect(await longshore.storage.storedUploads()).toEqual([]);
  });
});

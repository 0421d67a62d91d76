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
import { finalizeHeld, holdFinalizeEnv, type HoldPoint } from '../support/finalize-hold.js';
import { MiB, randomLayer, uploadParts } from '../support/layer-data.js';
import { startLongshore, type Longshore } from '../support/longshore-harness.js';
import { httpStatusOf, rejectionOf } from '../support/rejection.js';
import { waitForFinalStatus } from '../support/status-client.js';

const LAYER_SIZE = 12 * MiB;
const PART_SIZE = 5 * MiB;
const COMPLETE_WAIT_MS = 1500;

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

// The crash point is chosen, not raced: the first worker runs with TEST_HOLD_FINALIZE_AT, holds
// its finalization at that step and says so over IPC, and is killed there with SIGKILL.
describe('a worker killed while finalizing', () => {
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

  /** Pushes a layer and completes it on a worker that holds at `point`; kills that worker there. */
  async function crashAt(point: HoldPoint, repositoryName: string) {
    const { ecr } = longshore;
    await ecr.send(new CreateRepositoryCommand({ repositoryName }));
    const layer = randomLayer(LAYER_SIZE);
    const uploadId = await uploadParts(ecr, repositoryName, layer.bytes, PART_SIZE);
    const input = { repositoryName, uploadId, layerDigests: [layer.digest] };
    const doomed = await longshore.startWorker(holdFinalizeEnv(point));
    const held = finalizeHeld(doomed, point, uploadId);
    // With no worker left, the first call can only give up waiting: a retryable ServerException
    // (it may come before or after the kill: its wait is shorter than a slow store's finalization).
    const firstComplete = rejectionOf(ecr.send(new CompleteLayerUploadCommand(input)), ServerException);
    await held;
    await doomed.kill();
    const timedOut = await firstComplete;
    expect(httpStatusOf(timedOut)).toBe(500);
    expect(timedOut.message).toMatch(/retry/i);
    return { layer, uploadId, input };
  }

  /** A new worker takes the job over; the retried CompleteLayerUpload answers; one intact blob. */
  async function recover(repositoryName: string, layer: ReturnType<typeof randomLayer>, uploadId: string) {
    const { ecr, keys } = longshore;
    const rescuer = await longshore.startWorker();
    const { output } = await completeWithRetries(
      ecr,
      { repositoryName, uploadId, layerDigests: [layer.digest] },
      30_000,
    );
    expect(output).toMatchObject({ repositoryName, uploadId, layerDigest: layer.digest, registryId: '000000000000' });

    await waitForFinalStatus(longshore.endpoint, uploadId);
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
    expect(downloaded.equals(layer.bytes)).toBe(true);

    expect(await longshore.storage.storedBlobDigests()).toContain(layer.digest);
    expect(await longshore.storage.storedUploads()).toEqual([]);
    await rescuer.stop();
  }

  it('after verifying, before publishing: nothing is published; a new worker publishes the layer once', async () => {
    const repositoryName = 'crash/before-publish';
    const { layer, uploadId } = await crashAt('before-publish', repositoryName);

    const afterCrash = await redis.hgetall(longshore.keys.upload(uploadId));
    expect(afterCrash.status).toBe('finalizing');
    expect(afterCrash.verifiedDigest, 'the digest was recorded before publishing').toBe(layer.digest);
    expect(await longshore.storage.storedBlobDigests()).not.toContain(layer.digest);

    await recover(repositoryName, layer, uploadId);
    expect((await longshore.storage.storedBlobDigests()).filter((d) => d === layer.digest)).toHaveLength(1);
  });

  it('after publishing, before linking: the blob is stored but not in the repository; a new worker links it, no second copy', async () => {
    const repositoryName = 'crash/before-link';
    const { layer, uploadId } = await crashAt('before-link', repositoryName);

    const afterCrash = await redis.hgetall(longshore.keys.upload(uploadId));
    expect(afterCrash.status).toBe('finalizing');
    expect(await longshore.storage.storedBlobDigests()).toContain(layer.digest);
    const notLinked = await longshore.ecr.send(
      new BatchCheckLayerAvailabilityCommand({ repositoryName, layerDigests: [layer.digest] }),
    );
    expect(notLinked.failures?.map((f) => f.failureCode)).toEqual(['MissingLayerDigest']);

    await recover(repositoryName, layer, uploadId);
    expect((await longshore.storage.storedBlobDigests()).filter((d) => d === layer.digest)).toHaveLength(1);
  });
});

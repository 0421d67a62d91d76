import { CompleteLayerUploadCommand, CreateRepositoryCommand, InvalidLayerException } from '@aws-sdk/client-ecr';
import { Queue } from 'bullmq';
import { FINALIZE_QUEUE, type RedisClient } from '@longshore/queue';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { batchHeldMidway, finalizeHeld, holdFinalizeEnv } from '../support/finalize-hold.js';
import { digestOf, randomLayer, uploadParts, type Layer } from '../support/layer-data.js';
import { startLongshore, type Longshore, type ServiceProcess } from '../support/longshore-harness.js';
import { completeBlobUpload, uploadBlobChunks } from '../support/oci-push.js';
import { sampleSum, scrapeMetrics, type Scrape } from '../support/prometheus-text.js';
import { rejectionOf } from '../support/rejection.js';
import { completeUpload, waitForFinalStatus } from '../support/status-client.js';

/**
 * Group commit (docs/architecture.md): an API process sends the completions that arrive while
 * its finalize job is in flight as one job, and a worker finalizes that batch together. These
 * tests make the batches deterministic instead of racing for them: no worker runs at first, so
 * the first completion's job stays queued (in flight) and the next ones gather until
 * FINALIZE_BATCH_MAX_UPLOADS of them are sent as one job; only then is a worker started.
 */

const KiB = 1024;
const ECR_PART = 5 * 1024 * KiB;

/** The finalize jobs waiting in the queue, once there are `count` of them (polled, bounded). */
async function jobsWaiting(queue: Queue, count: number): Promise<void> {
  await expect.poll(() => queue.getWaitingCount(), { timeout: 30_000, interval: 25 }).toBe(count);
}

/** The worker's batch-size histogram: how many jobs it ran and how many uploads they carried. */
function batchSizes(scrape: Scrape) {
  return {
    jobs: sampleSum(scrape, 'longshore_finalize_batch_size_count'),
    uploads: sampleSum(scrape, 'longshore_finalize_batch_size_sum'),
    loneJobs: sampleSum(scrape, 'longshore_finalize_batch_size_bucket', { le: '1' }),
  };
}

function workerMetrics(worker: ServiceProcess): Promise<Scrape> {
  return scrapeMetrics(`http://127.0.0.1:${worker.metricsPort}/metrics`);
}

describe('group commit: a worker killed in the middle of a batch of 20', () => {
  const BATCH = 20;
  let longshore: Longshore;
  let redis: RedisClient;
  let events: RedisClient;
  let queue: Queue;
  /** Every status announcement on the uploads' events channels, as the waiters hear them. */
  const announced: { uploadId: string; status: string }[] = [];

  beforeAll(async () => {
    longshore = await startLongshore({
      workers: 0,
      env: {
        JOB_LOCK_MS: '1000',
        FINALIZE_BATCH_MAX_IN_FLIGHT: '1',
        FINALIZE_BATCH_MAX_UPLOADS: String(BATCH),
        FINALIZE_BATCH_MAX_WAIT_MS: '60000',
        // How long the API counts a job as in flight without hearing it settled (and a PUT waits).
        COMPLETE_WAIT_MS: '120000',
      },
    });
    redis = longshore.connectRedis();
    queue = new Queue(FINALIZE_QUEUE, { connection: longshore.connectRedis(), prefix: longshore.config.queuePrefix });
    events = longshore.connectRedis();
    events.on('pmessage', (_pattern: string, _channel: string, message: string) => {
      const record = JSON.parse(message) as { uploadId: string; status: string };
      announced.push({ uploadId: record.uploadId, status: record.status });
    });
    await events.psubscribe(longshore.keys.uploadEvents('*'));
  });
  afterAll(async () => {
    events?.disconnect();
    redis?.disconnect();
    await queue?.close();
    await longshore?.close();
  });

  it('finishes every upload with the right digest once a new worker takes the batch, publishing none twice', async () => {
    const { keys } = longshore;
    const repositoryName = 'group/commit-crash';
    await longshore.ecr.send(new CreateRepositoryCommand({ repositoryName }));
    const layers = Array.from({ length: BATCH + 1 }, (_, i) => randomLayer(16 * KiB + i));
    const uploadIds = await Promise.all(
      layers.map((layer) => uploadParts(longshore.ecr, repositoryName, layer.bytes, ECR_PART)),
    );
    const complete = (i: number) =>
      completeUpload(longshore.endpoint, uploadIds[i]!, { repositoryName, layerDigests: [layers[i]!.digest] });

    // The first completion's job is in flight (queued: no worker yet); the next 20 gather into one.
    expect((await complete(0)).status).toBe(202);
    const accepted = await Promise.all(layers.slice(1).map((_, i) => complete(i + 1)));
    expect(accepted.map((a) => a.status)).toEqual(Array(BATCH).fill(202));
    await jobsWaiting(queue, 2);

    const doomed = await longshore.startWorker(holdFinalizeEnv('mid-batch'));
    const midway = await batchHeldMidway(doomed);
    // The lone first job (upload 0) runs beside the held batch: it must have finished before the
    // kill, or the replacement takes it over too (a second, lone job in its histogram below).
    await expect.poll(() => queue.getCompletedCount(), { timeout: 30_000, interval: 25 }).toBe(1);
    await doomed.kill();

    const batched = uploadIds.slice(1);
    expect([...midway.settled, ...midway.held].sort()).toEqual([...batched].sort());
    expect(midway.settled).toHaveLength(BATCH / 2);
    // Killed midway: half the batch finished, the rest verified (digest recorded), not published.
    for (const uploadId of midway.settled) {
      expect((await redis.hgetall(keys.upload(uploadId))).status).toBe('completed');
    }
    for (const uploadId of midway.held) {
      const record = await redis.hgetall(keys.upload(uploadId));
      expect(record.status).toBe('finalizing');
      expect(record.verifiedDigest).toBe(layers[uploadIds.indexOf(uploadId)]!.digest);
    }

    const replacement = await longshore.startWorker();
    const finals = await Promise.all(uploadIds.map((uploadId) => waitForFinalStatus(longshore.endpoint, uploadId)));
    for (const [i, final] of finals.entries()) {
      expect(final).toMatchObject({
        status: 'completed',
        layerDigest: layers[i]!.digest,
        layerSize: layers[i]!.bytes.length,
      });
    }
    // The stored blobs are exactly the layers (each read back and hashed), and each is served whole.
    expect(await longshore.storage.storedBlobDigests()).toEqual(layers.map((l) => l.digest).sort());
    for (const layer of layers) {
      const pulled = await longshore.fetch(`/v2/${repositoryName}/blobs/${layer.digest}`);
      expect(Buffer.from(await pulled.arrayBuffer()).equals(layer.bytes)).toBe(true);
    }
    expect(await longshore.storage.storedUploads()).toEqual([]);

    // The new worker ran the batch again: the uploads finished before the crash were not
    // finalized again (one attempt each), the held ones were (two), and every upload's
    // completion was announced exactly once.
    expect(batchSizes(await workerMetrics(replacement))).toMatchObject({ jobs: 1, uploads: BATCH });
    for (const uploadId of midway.settled) {
      expect(Number((await redis.hgetall(keys.upload(uploadId))).attempts), uploadId).toBe(1);
    }
    for (const uploadId of midway.held) {
      expect(Number((await redis.hgetall(keys.upload(uploadId))).attempts), uploadId).toBe(2);
    }
    // The last announcement may still be on its way when the status reads completed: poll, bounded.
    const completedAnnouncements = () =>
      uploadIds.map((id) => announced.filter((a) => a.uploadId === id && a.status === 'completed').length);
    await expect.poll(completedAnnouncements, { timeout: 10_000, interval: 25 }).toEqual(Array(BATCH + 1).fill(1));
  });
});

describe('group commit: batches under concurrency, each upload its own outcome', () => {
  const BATCH = 6;
  let longshore: Longshore;
  let queue: Queue;
  let worker: ServiceProcess | undefined;
  let repositorySeq = 0;

  beforeAll(async () => {
    longshore = await startLongshore({
      workers: 0,
      env: {
        FINALIZE_BATCH_MAX_IN_FLIGHT: '1',
        FINALIZE_BATCH_MAX_UPLOADS: String(BATCH),
        FINALIZE_BATCH_MAX_WAIT_MS: '60000',
        // How long the API counts a job as in flight without hearing it settled (and a PUT waits).
        COMPLETE_WAIT_MS: '120000',
      },
    });
    queue = new Queue(FINALIZE_QUEUE, { connection: longshore.connectRedis(), prefix: longshore.config.queuePrefix });
  });
  afterEach(async () => {
    // Each test starts with no worker, so its first completion's job stays in flight.
    await worker?.stop();
    worker = undefined;
  });
  afterAll(async () => {
    await queue?.close();
    await longshore?.close();
  });

  async function newRepository(): Promise<string> {
    const repositoryName = `group/r${++repositorySeq}`;
    await longshore.ecr.send(new CreateRepositoryCommand({ repositoryName }));
    return repositoryName;
  }

  /** An upload completed over /v1 with no worker running: its job stays queued, in flight. */
  async function jobInFlight(repositoryName: string): Promise<{ uploadId: string; layer: Layer }> {
    const layer = randomLayer(4 * KiB);
    const uploadId = await uploadParts(longshore.ecr, repositoryName, layer.bytes, ECR_PART);
    expect(
      (await completeUpload(longshore.endpoint, uploadId, { repositoryName, layerDigests: [layer.digest] })).status,
    ).toBe(202);
    await jobsWaiting(queue, 1);
    return { uploadId, layer };
  }

  it('sends the /v2 pushes that complete while a job is in flight as one job, which one worker finalizes', async () => {
    const repositoryName = await newRepository();
    const first = await jobInFlight(repositoryName);
    const layers = Array.from({ length: BATCH }, (_, i) => randomLayer(8 * KiB + i));
    const uploads = await Promise.all(
      layers.map((l) => uploadBlobChunks(longshore, repositoryName, l.bytes, 64 * KiB)),
    );
    const puts = uploads.map((upload, i) => completeBlobUpload(longshore, upload, layers[i]!.digest));
    await jobsWaiting(queue, 2);

    worker = await longshore.startWorker();
    const answers = await Promise.all(puts);
    expect(answers.map((a) => a.status)).toEqual(Array(BATCH).fill(201));
    expect(answers.map((a) => a.headers.get('docker-content-digest'))).toEqual(layers.map((l) => l.digest));
    expect((await waitForFinalStatus(longshore.endpoint, first.uploadId)).status).toBe('completed');
    // Two jobs for seven uploads: the lone first one, and one carrying the six.
    expect(batchSizes(await workerMetrics(worker))).toEqual({ jobs: 2, uploads: BATCH + 1, loneJobs: 1 });
  });

  it('fails only the bad-digest uploads of a batch, each on its own door as without batches', async () => {
    const repositoryName = await newRepository();
    await jobInFlight(repositoryName);
    const [v2Good, v2Bad, ecrGood, ecrBad, v1Good, v1Bad] = Array.from({ length: BATCH }, (_, i) =>
      randomLayer(6 * KiB + i),
    );
    const wrong = digestOf(Buffer.from('not any of these layers'));
    const [v2GoodUpload, v2BadUpload] = await Promise.all(
      [v2Good!, v2Bad!].map((l) => uploadBlobChunks(longshore, repositoryName, l.bytes, 64 * KiB)),
    );
    const [ecrGoodId, ecrBadId, v1GoodId, v1BadId] = await Promise.all(
      [ecrGood!, ecrBad!, v1Good!, v1Bad!].map((l) => uploadParts(longshore.ecr, repositoryName, l.bytes, ECR_PART)),
    );
    const ecrComplete = (uploadId: string, digest: string) =>
      longshore.ecr.send(new CompleteLayerUploadCommand({ repositoryName, uploadId, layerDigests: [digest] }));

    const v2GoodPut = completeBlobUpload(longshore, v2GoodUpload!, v2Good!.digest);
    const v2BadPut = completeBlobUpload(longshore, v2BadUpload!, wrong);
    const ecrGoodDone = ecrComplete(ecrGoodId!, ecrGood!.digest);
    const ecrBadDone = rejectionOf(ecrComplete(ecrBadId!, wrong), InvalidLayerException);
    const v1Accepted = await Promise.all([
      completeUpload(longshore.endpoint, v1GoodId!, { repositoryName, layerDigests: [v1Good!.digest] }),
      completeUpload(longshore.endpoint, v1BadId!, { repositoryName, layerDigests: [wrong] }),
    ]);
    expect(v1Accepted.map((a) => a.status)).toEqual([202, 202]);
    await jobsWaiting(queue, 2);

    worker = await longshore.startWorker();
    const v2GoodAnswer = await v2GoodPut;
    expect(v2GoodAnswer.status).toBe(201);
    expect(v2GoodAnswer.headers.get('docker-content-digest')).toBe(v2Good!.digest);
    const v2BadAnswer = await v2BadPut;
    expect(v2BadAnswer.status).toBe(400);
    expect(((await v2BadAnswer.json()) as { errors: { code: string }[] }).errors[0]?.code).toBe('DIGEST_INVALID');
    expect((await ecrGoodDone).layerDigest).toBe(ecrGood!.digest);
    expect((await ecrBadDone).message).toContain(ecrBad!.digest);
    expect(await waitForFinalStatus(longshore.endpoint, v1GoodId!)).toMatchObject({
      status: 'completed',
      layerDigest: v1Good!.digest,
    });
    const v1Failed = await waitForFinalStatus(longshore.endpoint, v1BadId!);
    expect(v1Failed).toMatchObject({ status: 'failed', layerDigest: null });
    expect(v1Failed.error).toMatchObject({ name: 'InvalidLayerException', code: 'INVALID_LAYER' });

    // The good layers are linked and served; the bad ones left nothing behind.
    for (const layer of [v2Good!, ecrGood!, v1Good!]) {
      expect((await longshore.fetch(`/v2/${repositoryName}/blobs/${layer.digest}`)).status).toBe(200);
    }
    for (const layer of [v2Bad!, ecrBad!, v1Bad!]) {
      expect((await longshore.fetch(`/v2/${repositoryName}/blobs/${layer.digest}`)).status).toBe(404);
    }
    expect(batchSizes(await workerMetrics(worker))).toEqual({ jobs: 2, uploads: BATCH + 1, loneJobs: 1 });
  });
});

describe('group commit: an upload whose job BullMQ gave up on', () => {
  let longshore: Longshore;
  let queue: Queue;
  let redis: RedisClient;

  beforeAll(async () => {
    longshore = await startLongshore({ workers: 0, env: { JOB_LOCK_MS: '1000' } });
    queue = new Queue(FINALIZE_QUEUE, { connection: longshore.connectRedis(), prefix: longshore.config.queuePrefix });
    redis = longshore.connectRedis();
  });
  afterAll(async () => {
    redis?.disconnect();
    await queue?.close();
    await longshore?.close();
  });

  it('is taken over by a recovery job when its completion is repeated, and finishes', async () => {
    const repositoryName = 'group/dead-job';
    await longshore.ecr.send(new CreateRepositoryCommand({ repositoryName }));
    const layer = randomLayer(12 * KiB);
    const uploadId = await uploadParts(longshore.ecr, repositoryName, layer.bytes, ECR_PART);
    const complete = () =>
      completeUpload(longshore.endpoint, uploadId, { repositoryName, layerDigests: [layer.digest] });
    expect((await complete()).status).toBe(202);
    const owner = (await redis.hgetall(longshore.keys.upload(uploadId))).jobId!;

    // Killed three times while holding the job: BullMQ's stall check then fails it for good
    // (maxStalledCount 2), and nothing settles the upload, which stays `finalizing`.
    for (let kill = 0; kill < 3; kill++) {
      const doomed = await longshore.startWorker(holdFinalizeEnv('before-publish'));
      await finalizeHeld(doomed, 'before-publish', uploadId);
      await doomed.kill();
    }
    await longshore.startWorker();
    await expect.poll(() => queue.getJobState(owner), { timeout: 30_000, interval: 50 }).toBe('failed');
    const stuck = await redis.hgetall(longshore.keys.upload(uploadId));
    expect(stuck).toMatchObject({ status: 'finalizing', finalizingJob: owner, verifiedDigest: layer.digest });

    // The client's repeated completion finds the owner dead and adds a job that takes it over.
    expect((await complete()).status).toBe(202);
    expect(await waitForFinalStatus(longshore.endpoint, uploadId)).toMatchObject({
      status: 'completed',
      layerDigest: layer.digest,
    });
    expect((await redis.hgetall(longshore.keys.upload(uploadId))).finalizingJob).not.toBe(owner);
    expect(await longshore.storage.storedBlobDigests()).toEqual([layer.digest]);
  });
});

import { randomBytes } from 'node:crypto';
import { CreateBucketCommand, ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3';
import {
  BatchCheckLayerAvailabilityCommand,
  CompleteLayerUploadCommand,
  CreateRepositoryCommand,
  GetDownloadUrlForLayerCommand,
  ServerException,
  type CompleteLayerUploadCommandOutput,
  type ECRClient,
} from '@aws-sdk/client-ecr';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { imageManifest, OCI_MANIFEST } from '../support/image-data.js';
import { digestOf, MiB, randomLayer, uploadParts } from '../support/layer-data.js';
import { type Longshore, startLongshore } from '../support/longshore-harness.js';
import { completeBlobUpload, type StartedBlobUpload, uploadBlobChunks } from '../support/oci-push.js';
import { httpStatusOf, rejectionOf } from '../support/rejection.js';
import { finalizeHeld, holdFinalizeEnv } from '../support/finalize-hold.js';
import { dataOf, getUpload, type StatusRecord } from '../support/status-client.js';

// Two hosts, each one API and one worker with its own DATA_DIR (the harness makes a fresh one per
// host); nothing shared but the S3 bucket/prefix and the Redis Cluster (with one QUEUE_PREFIX).
const s3 = inject('s3');
const bucket = `two-hosts-${randomBytes(6).toString('hex')}`;
const S3_PREFIX = 'registry';

// The crash case: parts under 5 MiB are staged as their own S3 objects, so finalization reads
// every byte back from the store (the part checks and, with VERIFY_MODE=full on host A, the
// whole-layer re-hash) and then re-uploads them into the blob; host A's worker is killed where it
// holds before publishing (TEST_HOLD_FINALIZE_AT). (Parts of 5 MiB and more go straight into the multipart
// upload; VERIFY_MODE=full cannot read those back before completion: README, S3 known limits.)
const CRASH_LAYER_SIZE = 40 * MiB;
const CRASH_PART_SIZE = 4 * MiB;
const COMPLETE_WAIT_MS = 1500;
const ACCEPT_ALL = [OCI_MANIFEST, 'application/vnd.docker.distribution.manifest.v2+json'].join(', ');

/** Long-polls /v1 until the upload's status is `status` (each poll returns when the status changes). */
async function statusReached(endpoint: string, uploadId: string, status: StatusRecord['status'], deadlineMs: number) {
  const deadline = Date.now() + deadlineMs;
  for (;;) {
    const record = dataOf(await getUpload(endpoint, uploadId, 1));
    if (record.status === status) return record;
    if (record.status === 'completed' || record.status === 'failed' || Date.now() > deadline) {
      throw new Error(`upload ${uploadId} is ${record.status}, never seen ${status}`);
    }
  }
}

/** CompleteLayerUpload until it answers, retrying the retryable ServerException, up to a deadline. */
async function completeWithRetries(
  ecr: ECRClient,
  input: { repositoryName: string; uploadId: string; layerDigests: string[] },
  deadlineMs: number,
): Promise<CompleteLayerUploadCommandOutput> {
  const deadline = Date.now() + deadlineMs;
  for (;;) {
    try {
      return await ecr.send(new CompleteLayerUploadCommand(input));
    } catch (err) {
      if (!(err instanceof ServerException) || Date.now() > deadline) throw err;
    }
  }
}

/** The completing /v2 PUT until it answers other than the retryable 500 "still being finalized", up to a deadline. */
async function completeBlobWithRetries(
  host: Longshore,
  upload: StartedBlobUpload,
  digest: string,
  deadlineMs: number,
): Promise<Response> {
  const deadline = Date.now() + deadlineMs;
  for (;;) {
    const answer = await completeBlobUpload(host, upload, digest);
    if (answer.status !== 500 || Date.now() > deadline) return answer;
    await answer.arrayBuffer();
  }
}

describe('two hosts sharing only S3 and the Redis Cluster', () => {
  let hostA: Longshore;
  let hostB: Longshore;
  let s3Client: S3Client;
  beforeAll(async () => {
    s3Client = new S3Client({
      endpoint: s3.endpoint,
      region: s3.region,
      forcePathStyle: true,
      credentials: { accessKeyId: s3.accessKeyId, secretAccessKey: s3.secretAccessKey },
    });
    await s3Client.send(new CreateBucketCommand({ Bucket: bucket }));
    const shared = {
      REDIS_URL: inject('redisClusterUrl'),
      STORAGE: 's3',
      S3_ENDPOINT: s3.endpoint,
      S3_BUCKET: bucket,
      S3_REGION: s3.region,
      S3_PREFIX,
      S3_FORCE_PATH_STYLE: 'true',
      AWS_ACCESS_KEY_ID: s3.accessKeyId,
      AWS_SECRET_ACCESS_KEY: s3.secretAccessKey,
      MIN_PART_SIZE: String(CRASH_PART_SIZE),
      JOB_LOCK_MS: '1000',
      COMPLETE_WAIT_MS: String(COMPLETE_WAIT_MS),
      STATUS_POLL_MS: '200',
    };
    hostA = await startLongshore({
      env: {
        ...shared,
        VERIFY_MODE: 'full',
        HASH_THREADS: '1',
        // Every part check at completion, none in the background while the parts arrive.
        BACKGROUND_VERIFY_MIN_BYTES: String(1024 * MiB),
      },
    });
    hostB = await startLongshore({ env: { ...shared, QUEUE_PREFIX: hostA.prefix } });
  });
  afterAll(async () => {
    await hostA?.close();
    await hostB?.close();
    s3Client?.destroy();
  });

  it('runs each host on its own DATA_DIR', () => {
    expect(hostA.dataDir).not.toBe(hostB.dataDir);
    expect(hostA.env.DATA_DIR).toBe(hostA.dataDir);
    expect(hostB.env.DATA_DIR).toBe(hostB.dataDir);
    expect(hostB.endpoint).not.toBe(hostA.endpoint);
  });

  it('a layer pushed through host A with the ECR API is pulled through host B', async () => {
    const repositoryName = 'two-hosts/ecr';
    await hostA.ecr.send(new CreateRepositoryCommand({ repositoryName }));
    const layer = randomLayer(6 * MiB + 123);
    // COMPLETE_WAIT_MS is short here (for the crash case), so a loaded machine may answer the
    // retryable "still being finalized"; a client retries it, as the SDK would with more attempts.
    const uploadId = await uploadParts(hostA.ecr, repositoryName, layer.bytes, 5 * MiB);
    const completed = await completeWithRetries(
      hostA.ecr,
      { repositoryName, uploadId, layerDigests: [layer.digest] },
      60_000,
    );
    expect(completed.layerDigest).toBe(layer.digest);

    const availability = await hostB.ecr.send(
      new BatchCheckLayerAvailabilityCommand({ repositoryName, layerDigests: [layer.digest] }),
    );
    expect(availability.layers).toEqual([
      { layerDigest: layer.digest, layerAvailability: 'AVAILABLE', layerSize: layer.bytes.length },
    ]);
    const { downloadUrl, layerDigest } = await hostB.ecr.send(
      new GetDownloadUrlForLayerCommand({ repositoryName, layerDigest: layer.digest }),
    );
    expect(layerDigest).toBe(layer.digest);
    expect(new URL(downloadUrl!).origin).toBe(hostB.endpoint);
    // A redirect to a presigned URL of the store (S3_REDIRECT_DOWNLOADS) is followed.
    const download = await hostB.fetch(downloadUrl!);
    expect(download.status).toBe(200);
    const bytes = Buffer.from(await download.arrayBuffer());
    expect(digestOf(bytes)).toBe(layer.digest);
    expect(bytes.equals(layer.bytes)).toBe(true);
  });

  it('an image pushed through host A over /v2 is pulled through host B: the same manifest and blobs', async () => {
    const name = 'two-hosts/v2';
    const config = randomLayer(300);
    const layers = [randomLayer(5 * MiB + 17), randomLayer(9000)];
    for (const blob of [config, ...layers]) {
      const completed = await completeBlobWithRetries(
        hostA,
        await uploadBlobChunks(hostA, name, blob.bytes, 5 * MiB),
        blob.digest,
        60_000,
      );
      expect(completed.status).toBe(201);
      expect(completed.headers.get('docker-content-digest')).toBe(blob.digest);
    }
    const manifest = imageManifest(config, layers);
    const put = await hostA.fetch(`/v2/${name}/manifests/v1`, {
      method: 'PUT',
      headers: { 'Content-Type': OCI_MANIFEST },
      body: manifest,
    });
    expect(put.status).toBe(201);

    for (const reference of ['v1', digestOf(Buffer.from(manifest))]) {
      const pulled = await hostB.fetch(`/v2/${name}/manifests/${reference}`, { headers: { Accept: ACCEPT_ALL } });
      expect(pulled.status).toBe(200);
      expect(pulled.headers.get('docker-content-digest')).toBe(digestOf(Buffer.from(manifest)));
      expect(await pulled.text()).toBe(manifest);
    }
    for (const blob of [config, ...layers]) {
      const got = await hostB.fetch(`/v2/${name}/blobs/${blob.digest}`);
      expect(got.status).toBe(200);
      const bytes = Buffer.from(await got.arrayBuffer());
      expect(digestOf(bytes)).toBe(blob.digest);
      expect(bytes.equals(blob.bytes)).toBe(true);
    }
  });

  it("host A's worker killed while finalizing: host B's worker finishes the job, the retried CompleteLayerUpload gets the digest", async () => {
    const repositoryName = 'two-hosts/crash';
    await hostA.ecr.send(new CreateRepositoryCommand({ repositoryName }));
    // Only host A's worker may take the job; host B's comes back after the crash. Host A's worker
    // is replaced by one that holds its finalization before publishing (TEST_HOLD_FINALIZE_AT): the
    // crash point is chosen, not raced against the machine's speed.
    await hostB.workers[0]!.stop();
    await hostA.workers[0]!.stop();
    const doomed = await hostA.startWorker(holdFinalizeEnv('before-publish'));

    const layer = randomLayer(CRASH_LAYER_SIZE);
    const uploadId = await uploadParts(hostA.ecr, repositoryName, layer.bytes, CRASH_PART_SIZE);
    const input = { repositoryName, uploadId, layerDigests: [layer.digest] };
    const held = finalizeHeld(doomed, 'before-publish', uploadId);
    // With no worker left, the first call can only give up waiting: a retryable ServerException.
    const firstComplete = rejectionOf(hostA.ecr.send(new CompleteLayerUploadCommand(input)), ServerException);
    await held;
    // Watched through host B's /v1: the status lives in the cluster, not on a host.
    await statusReached(hostB.endpoint, uploadId, 'finalizing', 20_000);
    await doomed.kill();

    // The crash came mid-way: nothing was recorded as finished.
    expect(dataOf(await getUpload(hostB.endpoint, uploadId)).status).toBe('finalizing');
    const timedOut = await firstComplete;
    expect(httpStatusOf(timedOut)).toBe(500);
    expect(timedOut.message).toMatch(/retry/i);

    await hostB.startWorker();
    const output = await completeWithRetries(hostB.ecr, input, 30_000);
    expect(output).toMatchObject({ repositoryName, uploadId, layerDigest: layer.digest });
    const record = dataOf(await getUpload(hostA.endpoint, uploadId));
    expect(record.status).toBe('completed');

    const { downloadUrl } = await hostA.ecr.send(
      new GetDownloadUrlForLayerCommand({ repositoryName, layerDigest: layer.digest }),
    );
    const downloaded = Buffer.from(await (await hostA.fetch(downloadUrl!)).arrayBuffer());
    expect(downloaded.length).toBe(CRASH_LAYER_SIZE);
    expect(downloaded.equals(layer.bytes)).toBe(true);

    // Exactly one blob of this layer in the bucket, and no staged part left behind.
    const blobs = await s3Client.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: `${S3_PREFIX}/blobs/` }));
    expect(blobs.Contents?.filter((object) => object.Size === CRASH_LAYER_SIZE)).toHaveLength(1);
    const staged = await s3Client.send(
      new ListObjectsV2Command({ Bucket: bucket, Prefix: `${S3_PREFIX}/uploads/${uploadId}/` }),
    );
    expect(staged.Contents ?? []).toEqual([]);
  });
});

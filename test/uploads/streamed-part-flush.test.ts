import { readFile } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CompleteLayerUploadCommand, CreateRepositoryCommand } from '@aws-sdk/client-ecr';
import { MiB, digestOf, randomLayer, uploadParts } from '../support/layer-data.js';
import { startLongshore, type Longshore } from '../support/longshore-harness.js';
import { completeBlobUpload, uploadBlobChunks } from '../support/oci-push.js';
import { sampleSum, scrapeMetrics } from '../support/prometheus-text.js';

const BACKGROUND_VERIFY_MIN_BYTES = 1 * MiB;
/** Two of the 2 MiB parts below make one flush job. */
const PART_FLUSH_BATCH_BYTES = 4 * MiB;

/**
 * A large part streamed over /v2 (or an ECR part over INLINE_HASH_MAX_BYTES in a local file) is recorded with this machine's boot id instead of a checksum
 * (storage's machine-boot.ts), and flushed by one background job (`flushOnly`) per
 * PART_FLUSH_BATCH_BYTES of parts its API process wrote; the parts left over are fsynced by
 * completion. Neither the job nor completion reads any of them back, yet the layer is published intact.
 */
describe('streamed parts: flushed in the background, never read back', () => {
  let longshore: Longshore;
  beforeAll(async () => {
    longshore = await startLongshore({
      env: {
        BACKGROUND_VERIFY_MIN_BYTES: String(BACKGROUND_VERIFY_MIN_BYTES),
        PART_FLUSH_BATCH_BYTES: String(PART_FLUSH_BATCH_BYTES),
      },
    });
  });
  afterAll(() => longshore?.close());

  it('marks streamed parts with the boot that wrote them, flushes them in batches, and completion re-reads nothing', async () => {
    const name = 'flush/streamed';
    const layer = randomLayer(5 * MiB + 123);
    const workerMetrics = `http://127.0.0.1:${longshore.workers[0]!.port}/metrics`;
    const before = await scrapeMetrics(workerMetrics);
    const redis = longshore.connectRedis();
    try {
      // Three parts of 2, 2 and 1 MiB (+123 bytes), each at least BACKGROUND_VERIFY_MIN_BYTES.
      const upload = await uploadBlobChunks(longshore, name, layer.bytes, 2 * MiB);
      const parts = (await redis.lrange(longshore.keys.uploadParts(upload.uploadId), 0, -1)).map(
        (entry) => JSON.parse(entry) as { partNumber: number; checksum: string },
      );
      expect(parts).toHaveLength(3);
      const bootId = (await readFile('/proc/sys/kernel/random/boot_id', 'utf8')).trim();
      expect(parts.map((part) => part.checksum)).toEqual(parts.map(() => `boot:${bootId}`));
      // The first two parts made one flush job; the third waits for completion.
      const verified = longshore.keys.uploadVerifiedParts(upload.uploadId);
      const firstTwo = parts.slice(0, 2).map((part) => `ok:${part.partNumber}`);
      await expect.poll(async () => (await redis.smembers(verified)).sort()).toEqual(firstTwo.sort());

      const completed = await completeBlobUpload(longshore, upload, digestOf(layer.bytes));
      expect(completed.status).toBe(201);
      const after = await scrapeMetrics(workerMetrics);
      expect(
        sampleSum(after, 'longshore_worker_verified_bytes_total') -
          sampleSum(before, 'longshore_worker_verified_bytes_total'),
      ).toBe(0);

      const pulled = await longshore.fetch(`/v2/${name}/blobs/${digestOf(layer.bytes)}`);
      expect(pulled.status).toBe(200);
      expect(Buffer.from(await pulled.arrayBuffer()).equals(layer.bytes)).toBe(true);
    } finally {
      await redis.quit();
    }
  });

  it('marks large ECR parts (bytes in memory, written straight to a local file) too: flushed in batches, nothing re-read', async () => {
    const repositoryName = 'flush/ecr';
    await longshore.ecr.send(new CreateRepositoryCommand({ repositoryName }));
    const layer = randomLayer(11 * MiB + 321);
    const workerMetrics = `http://127.0.0.1:${longshore.workers[0]!.port}/metrics`;
    const before = await scrapeMetrics(workerMetrics);
    const redis = longshore.connectRedis();
    try {
      // Three parts of 5, 5 and 1 MiB (+321 bytes) (ECR's smallest part is 5 MiB), each over
      // INLINE_HASH_MAX_BYTES: hashed on a thread, written to a local file.
      const uploadId = await uploadParts(longshore.ecr, repositoryName, layer.bytes, 5 * MiB);
      const parts = (await redis.lrange(longshore.keys.uploadParts(uploadId), 0, -1)).map(
        (entry) => JSON.parse(entry) as { partNumber: number; checksum: string },
      );
      expect(parts).toHaveLength(3);
      const bootId = (await readFile('/proc/sys/kernel/random/boot_id', 'utf8')).trim();
      expect(parts.map((part) => part.checksum)).toEqual(parts.map(() => `boot:${bootId}`));
      // Written straight to the disk (O_DIRECT from the decode slot): flushed in batches as streamed
      // parts are. Each 5 MiB part fills a batch of its own; the last waits for completion.
      const verified = longshore.keys.uploadVerifiedParts(uploadId);
      const firstTwo = parts.slice(0, 2).map((part) => `ok:${part.partNumber}`);
      await expect.poll(async () => (await redis.smembers(verified)).sort()).toEqual(firstTwo.sort());

      const completed = await longshore.ecr.send(
        new CompleteLayerUploadCommand({ repositoryName, uploadId, layerDigests: [layer.digest] }),
      );
      expect(completed.layerDigest).toBe(layer.digest);
      const after = await scrapeMetrics(workerMetrics);
      expect(
        sampleSum(after, 'longshore_worker_verified_bytes_total') -
          sampleSum(before, 'longshore_worker_verified_bytes_total'),
      ).toBe(0);
      const pulled = await longshore.fetch(`/v2/${repositoryName}/blobs/${layer.digest}`);
      expect(pulled.status).toBe(200);
      expect(Buffer.from(await pulled.arrayBuffer()).equals(layer.bytes)).toBe(true);
    } finally {
      await redis.quit();
    }
  });
});

import { CreateRepositoryCommand, DeleteRepositoryCommand, PutImageCommand } from '@aws-sdk/client-ecr';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RedisClient } from '@longshore/queue';
import type { StorageDriver } from '@longshore/storage';
import { downloadedDigest } from './download-layer.js';
import { OCI_MANIFEST, pushImageBlobs } from './image-data.js';
import { pushLayer, randomLayer, type Layer } from './layer-data.js';
import { startLongshore, type Longshore } from './longshore-harness.js';
import { sampleSum, scrapeMetrics } from './prometheus-text.js';
import { createKeys } from '@longshore/metadata';

const RECLAIMED = 'longshore_worker_gc_reclaimed_bytes_total';
const DELETED = 'longshore_worker_gc_deleted_blobs_total';

/**
 * Online garbage collection, driven by the worker's own job scheduler (a collection every 20 ms,
 * no grace period), against the real API and worker on a private Redis (or Redis Cluster) and
 * the configured storage driver (filesystem or S3): `env` chooses them. Tests wait on conditions
 * (index entries gone, metrics reached), never on time.
 */
export function describeGarbageCollection(title: string, env: () => Record<string, string> = () => ({})): void {
  describe(title, () => {
    let longshore: Longshore;
    let redis: RedisClient;
    let storage: StorageDriver;
    let prefix: string;
    beforeAll(async () => {
      longshore = await startLongshore({ env: { ...env(), GC_INTERVAL_MS: '20', GC_GRACE_SECONDS: '0' } });
      redis = longshore.connectRedis({ name: 'gc-test' });
      storage = longshore.storage.driver;
      prefix = longshore.config.queuePrefix; // on a Redis Cluster, the prefix in a hash tag
    });
    afterAll(async () => {
      await redis?.quit();
      await longshore?.close();
    });

    const blobKey = (digest: string) => createKeys(prefix).blob(digest);
    const located = (digest: string) => redis.get(blobKey(digest));
    const metrics = async () => scrapeMetrics(`http://127.0.0.1:${longshore.workers[0]!.port}/metrics`);
    const createRepository = (repositoryName: string) =>
      longshore.ecr.send(new CreateRepositoryCommand({ repositoryName }));
    const deleteRepository = (repositoryName: string) =>
      longshore.ecr.send(new DeleteRepositoryCommand({ repositoryName, force: true }));
    const download = (repositoryName: string, digest: string) =>
      downloadedDigest(longshore.ecr, (url) => longshore.fetch(url), repositoryName, digest);

    /** Waits until a collection that started after this call has finished: a fresh blob nothing references is gone. */
    async function waitForACollection(): Promise<void> {
      const name = `gc/sentinel-${Math.random().toString(36).slice(2, 8)}`;
      const sentinel = randomLayer(100);
      await createRepository(name);
      await pushLayer(longshore.ecr, name, sentinel);
      await deleteRepository(name);
      await expect.poll(() => located(sentinel.digest), { timeout: 30_000, interval: 20 }).toBeNull();
    }

    it('reclaims the blob of a deleted repository, and counts its bytes', async () => {
      const layer = randomLayer(3000);
      await createRepository('gc/deleted');
      await pushLayer(longshore.ecr, 'gc/deleted', layer);
      const location = await located(layer.digest);
      expect(location).toBeTruthy();
      expect((await storage.statBlob(location!)).size).toBe(3000);

      await deleteRepository('gc/deleted');
      await expect.poll(() => located(layer.digest), { timeout: 30_000, interval: 20 }).toBeNull();
      await expect(storage.statBlob(location!)).rejects.toThrow();
      const scrape = await metrics();
      expect(sampleSum(scrape, RECLAIMED, { driver: storage.name })).toBe(3000);
      expect(sampleSum(scrape, DELETED, { driver: storage.name })).toBe(1);
    });

    it('keeps blobs a layer link or a manifest in another repository still references', async () => {
      const shared = randomLayer(1500);
      for (const name of ['gc/keep-link', 'gc/doomed', 'gc/keep-manifest']) await createRepository(name);
      await pushLayer(longshore.ecr, 'gc/keep-link', shared);
      await pushLayer(longshore.ecr, 'gc/doomed', shared);

      // An image whose blobs are then unlinked from its repository (OCI DELETE blob): only the
      // manifest references them now.
      const image = await pushImageBlobs(longshore.ecr, 'gc/doomed', { layerSizes: [700] });
      for (const blob of [image.config, ...image.layers]) await pushLayer(longshore.ecr, 'gc/keep-manifest', blob);
      await longshore.ecr.send(
        new PutImageCommand({
          repositoryName: 'gc/keep-manifest',
          imageManifest: image.manifest,
          imageManifestMediaType: OCI_MANIFEST,
          imageTag: 'v1',
        }),
      );
      for (const blob of [image.config, ...image.layers]) {
        const unlinked = await longshore.fetch(`/v2/gc/keep-manifest/blobs/${blob.digest}`, { method: 'DELETE' });
        expect(unlinked.status).toBe(202);
      }
      const before = sampleSum(await metrics(), DELETED, { driver: storage.name });
      await deleteRepository('gc/doomed');
      await waitForACollection();

      expect(await download('gc/keep-link', shared.digest)).toBe(shared.digest);
      for (const blob of [image.config, ...image.layers] as Layer[]) {
        const location = await located(blob.digest);
        expect(location, blob.digest).toBeTruthy();
        expect((await storage.statBlob(location!)).size).toBe(blob.bytes.length);
      }
      // Only the sentinel went.
      expect(sampleSum(await metrics(), DELETED, { driver: storage.name })).toBe(before + 1);
    });

    it('keeps a layer pushed while a collection deletes the same blob: downloadable and intact', async () => {
      const rounds = 15;
      const pushed: { repositoryName: string; layer: Layer }[] = [];
      for (let round = 0; round < rounds; round++) {
        const layer = randomLayer(2000 + round);
        const source = `gc/race-src-${round}`;
        const target = `gc/race-dst-${round}`;
        await createRepository(source);
        await createRepository(target);
        await pushLayer(longshore.ecr, source, layer);
        // The blob becomes garbage while the same blob is pushed again: collections run all along.
        await Promise.all([deleteRepository(source), pushLayer(longshore.ecr, target, layer)]);
        expect(await download(target, layer.digest)).toBe(layer.digest);
        pushed.push({ repositoryName: target, layer });
      }
      await waitForACollection();
      for (const { repositoryName, layer } of pushed) {
        expect(await download(repositoryName, layer.digest)).toBe(layer.digest);
      }
    });
  });
}

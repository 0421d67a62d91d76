import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import {
  BatchCheckLayerAvailabilityCommand,
  BatchDeleteImageCommand,
  BatchGetImageCommand,
  CreateRepositoryCommand,
  ListImagesCommand,
  PutImageCommand,
  PutLifecyclePolicyCommand,
} from '@aws-sdk/client-ecr';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RedisClient } from '@longshore/queue';
import { createKeys } from '@longshore/metadata';
import { downloadedDigest } from '../support/download-layer.js';
import { imageManifest } from '../support/image-data.js';
import { digestOf, pushLayer, randomLayer, type Layer } from '../support/layer-data.js';
import { startLongshore, type Longshore, type ServiceProcess } from '../support/longshore-harness.js';

const DAY_MS = 86_400_000;

/** The worker's collections, each held before its sweep (TEST_HOLD_GC_AT=before-sweep) until released. */
class HeldCollections {
  private held: string[] | undefined;
  private waiters: ((digests: string[]) => void)[] = [];

  constructor(private readonly worker: ServiceProcess) {
    const onMessage = (message: { type?: string; digests?: string[] } | null) => {
      if (message?.type !== 'gc-held') return;
      this.held = message.digests ?? [];
      for (const waiter of this.waiters.splice(0)) waiter(this.held);
    };
    // A collection may have held before we listened (its message read with the worker's ready one).
    for (const message of worker.messages) onMessage(message as Parameters<typeof onMessage>[0]);
    worker.child.on('message', onMessage);
  }

  /** The digests the held collection is about to sweep (waits for one to hold). */
  next(): Promise<string[]> {
    if (this.held) return Promise.resolve(this.held);
    return new Promise((resolve) => this.waiters.push(resolve));
  }

  release(): void {
    this.held = undefined;
    this.worker.child.send({ type: 'gc-release' });
  }

  /** Holds a collection that started after this call: its marks and reference read see the present. */
  async fresh(): Promise<string[]> {
    await this.next();
    this.release();
    return this.next();
  }

  /** Lets the held collection sweep, and waits until it is done (the next one holds). */
  async sweep(): Promise<void> {
    this.release();
    await this.next();
  }
}

function manifestOf(config: Layer, layers: Layer[]): { manifest: string; digest: string } {
  const manifest = imageManifest(config, layers);
  return { manifest, digest: digestOf(Buffer.from(manifest)) };
}

describe('deleting an image gives its bytes back (the collection marks from manifests)', () => {
  let longshore: Longshore;
  let redis: RedisClient;
  let collections: HeldCollections;
  beforeAll(async () => {
    longshore = await startLongshore({
      env: {
        GC_INTERVAL_MS: '20',
        GC_GRACE_SECONDS: '0',
        GC_LAYER_LINK_GRACE_SECONDS: '0',
        TEST_HOLD_GC_AT: 'before-sweep',
      },
    });
    redis = longshore.connectRedis({ name: 'gc-images-test' });
    collections = new HeldCollections(longshore.workers[0]!);
  });
  afterAll(async () => {
    await redis?.quit();
    await longshore?.close();
  });

  const located = (digest: string) => redis.get(createKeys(longshore.config.queuePrefix).blob(digest));
  const stored = async (location: string) =>
    longshore.storage.driver.statBlob(location).then(
      (info) => info.size,
      () => undefined,
    );
  const available = async (repositoryName: string, digests: string[]) => {
    const answer = await longshore.ecr.send(
      new BatchCheckLayerAvailabilityCommand({ repositoryName, layerDigests: digests }),
    );
    return Object.fromEntries(
      [...(answer.layers ?? [])]
        .map((l) => [l.layerDigest!, l.layerAvailability])
        .concat((answer.failures ?? []).map((f) => [f.layerDigest!, f.failureCode])),
    );
  };
  const download = (repositoryName: string, digest: string) =>
    downloadedDigest(longshore.ecr, (url) => longshore.fetch(url), repositoryName, digest);

  async function pushAll(repositoryName: string, blobs: Layer[]): Promise<Map<string, string>> {
    const locations = new Map<string, string>();
    for (const blob of blobs) {
      await pushLayer(longshore.ecr, repositoryName, blob);
      locations.set(blob.digest, (await located(blob.digest))!);
      expect(await stored(locations.get(blob.digest)!)).toBe(blob.bytes.length);
    }
    return locations;
  }

  it('frees the layers only the deleted image named, from storage and the repository; a shared layer stays', async () => {
    const repositoryName = 'gc-images/deleted';
    await longshore.ecr.send(new CreateRepositoryCommand({ repositoryName }));
    const [configA, configB, shared, onlyA] = [
      randomLayer(300),
      randomLayer(310),
      randomLayer(4000),
      randomLayer(5000),
    ];
    const locations = await pushAll(repositoryName, [configA, configB, shared, onlyA]);
    const a = manifestOf(configA, [shared, onlyA]);
    const b = manifestOf(configB, [shared]);
    await longshore.ecr.send(new PutImageCommand({ repositoryName, imageManifest: a.manifest, imageTag: 'a' }));
    await longshore.ecr.send(new PutImageCommand({ repositoryName, imageManifest: b.manifest, imageTag: 'b' }));

    // While both images stand, a collection frees none of their blobs (their links are old: no grace).
    expect(await collections.fresh()).not.toEqual(expect.arrayContaining([configA.digest]));
    await collections.sweep();

    await longshore.ecr.send(new BatchDeleteImageCommand({ repositoryName, imageIds: [{ imageDigest: a.digest }] }));
    const due = await collections.fresh();
    expect(due).toEqual(expect.arrayContaining([configA.digest, onlyA.digest]));
    expect(due).not.toContain(shared.digest);
    expect(due).not.toContain(configB.digest);
    await collections.sweep();

    for (const gone of [configA, onlyA]) {
      expect(await located(gone.digest)).toBeNull();
      expect(await stored(locations.get(gone.digest)!)).toBeUndefined();
      const head = await longshore.fetch(`/v2/${repositoryName}/blobs/${gone.digest}`, { method: 'HEAD' });
      expect(head.status).toBe(404);
    }
    expect(await available(repositoryName, [configA.digest, onlyA.digest, shared.digest, configB.digest])).toEqual({
      [configA.digest]: 'MissingLayerDigest',
      [onlyA.digest]: 'MissingLayerDigest',
      [shared.digest]: 'AVAILABLE',
      [configB.digest]: 'AVAILABLE',
    });
    for (const kept of [shared, configB]) {
      expect(await stored(locations.get(kept.digest)!)).toBe(kept.bytes.length);
      expect(await download(repositoryName, kept.digest)).toBe(kept.digest);
    }
    const pulled = await longshore.ecr.send(
      new BatchGetImageCommand({ repositoryName, imageIds: [{ imageTag: 'b' }] }),
    );
    expect(pulled.images?.[0]?.imageManifest).toBe(b.manifest);
  });

  it('never harms a push naming an old shared layer while a collection is about to sweep it', async () => {
    const repositoryName = 'gc-images/racing';
    await longshore.ecr.send(new CreateRepositoryCommand({ repositoryName }));
    const [configC, configD, shared, onlyC] = [
      randomLayer(320),
      randomLayer(330),
      randomLayer(4100),
      randomLayer(5100),
    ];
    const locations = await pushAll(repositoryName, [configC, configD, shared, onlyC]);
    const c = manifestOf(configC, [shared, onlyC]);
    const d = manifestOf(configD, [shared]);
    await longshore.ecr.send(new PutImageCommand({ repositoryName, imageManifest: c.manifest, imageTag: 'c' }));
    await longshore.ecr.send(new BatchDeleteImageCommand({ repositoryName, imageIds: [{ imageTag: 'c' }] }));

    // A collection has marked, read the references (nothing names these blobs) and holds before
    // its sweep: now a push names the shared layer and D's config.
    const due = await collections.fresh();
    expect(due).toEqual(expect.arrayContaining([shared.digest, configD.digest, configC.digest, onlyC.digest]));
    await longshore.ecr.send(new PutImageCommand({ repositoryName, imageManifest: d.manifest, imageTag: 'd' }));
    await collections.sweep();

    // The push retained its blobs before committing: the sweep's re-check kept them.
    for (const kept of [shared, configD]) {
      expect(await located(kept.digest)).toBe(locations.get(kept.digest));
      expect(await stored(locations.get(kept.digest)!)).toBe(kept.bytes.length);
      expect(await download(repositoryName, kept.digest)).toBe(kept.digest);
    }
    for (const gone of [configC, onlyC]) {
      expect(await located(gone.digest)).toBeNull();
      expect(await stored(locations.get(gone.digest)!)).toBeUndefined();
    }
    // And the next collections keep them: the image names them.
    expect(await collections.fresh()).not.toContain(shared.digest);
    await collections.sweep();
    expect(await download(repositoryName, shared.digest)).toBe(shared.digest);
  });
});

describe('lifecycle expiry, then the collection reclaims the bytes', () => {
  let longshore: Longshore;
  let redis: RedisClient;
  let clockDir: string;
  beforeAll(async () => {
    clockDir = await mkdtemp(path.join(os.tmpdir(), 'longshore-clock-'));
    await writeFile(path.join(clockDir, 'offset'), '0');
    longshore = await startLongshore({
      env: {
        CLOCK_OFFSET_FILE: path.join(clockDir, 'offset'),
        LIFECYCLE_INTERVAL_SECONDS: '1',
        GC_INTERVAL_MS: '50',
        GC_GRACE_SECONDS: '0',
      },
    });
    redis = longshore.connectRedis({ name: 'gc-lifecycle-test' });
  });
  afterAll(async () => {
    await redis?.quit();
    await longshore?.close();
    if (clockDir) await rm(clockDir, { recursive: true, force: true });
  });

  it('an image a policy expires has its layers deleted from storage; the image it keeps keeps its own', async () => {
    const repositoryName = 'gc-images/lifecycle';
    const located = (digest: string) => redis.get(createKeys(longshore.config.queuePrefix).blob(digest));
    await longshore.ecr.send(new CreateRepositoryCommand({ repositoryName }));
    const [configOld, configNew, layerOld, layerNew] = [
      randomLayer(340),
      randomLayer(350),
      randomLayer(6000),
      randomLayer(6100),
    ];
    for (const blob of [configOld, configNew, layerOld, layerNew]) await pushLayer(longshore.ecr, repositoryName, blob);
    const oldLocation = (await located(layerOld.digest))!;
    const old = manifestOf(configOld, [layerOld]);
    const kept = manifestOf(configNew, [layerNew]);
    await longshore.ecr.send(new PutImageCommand({ repositoryName, imageManifest: old.manifest }));
    await longshore.ecr.send(new PutImageCommand({ repositoryName, imageManifest: kept.manifest, imageTag: 'v2' }));
    const policy = {
      rules: [
        {
          rulePriority: 1,
          description: 'Expire untagged images older than a day',
          selection: { tagStatus: 'untagged', countType: 'sinceImagePushed', countUnit: 'days', countNumber: 1 },
          action: { type: 'expire' },
        },
      ],
    };
    await longshore.ecr.send(
      new PutLifecyclePolicyCommand({ repositoryName, lifecyclePolicyText: JSON.stringify(policy, null, 2) }),
    );
    // Two days on (the services' clock moves; the collection's too, so the layer links are two
    // days old and keep nothing): the untagged image expires, and its layers are collected.
    await writeFile(path.join(clockDir, 'offset'), String(2 * DAY_MS));

    await expect
      .poll(async () => ((await longshore.ecr.send(new ListImagesCommand({ repositoryName }))).imageIds ?? []).length, {
        timeout: 30_000,
        interval: 50,
      })
      .toBe(1);
    await expect.poll(() => located(layerOld.digest), { timeout: 30_000, interval: 20 }).toBeNull();
    await expect.poll(() => located(configOld.digest), { timeout: 30_000, interval: 20 }).toBeNull();
    await expect(longshore.storage.driver.statBlob(oldLocation)).rejects.toThrow();
    for (const blob of [configNew, layerNew]) {
      expect(await located(blob.digest)).toBeTruthy();
      expect(await downloadedDigest(longshore.ecr, (url) => longshore.fetch(url), repositoryName, blob.digest)).toBe(
        blob.digest,
      );
    }
  });
});

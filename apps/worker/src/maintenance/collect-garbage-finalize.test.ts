import { createHash, randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { createStores, type Stores, type UploadLimits } from '@longshore/metadata';
import { createFilesystemDriver, sessionToJson, type StorageDriver } from '@longshore/storage';
import { createLogger } from '@longshore/telemetry';
import { finalizeUpload, type FinalizeDeps } from '../finalize/finalize-upload.js';
import { collectGarbage } from './collect-garbage.js';

const DAY_MS = 86_400_000;

const LIMITS: UploadLimits = {
  minPartSize: 0,
  maxPartSize: 1024 * 1024,
  maxParts: 100,
  maxLayerSize: 1024 * 1024,
  partLockMs: 60_000,
  uploadTtlSeconds: 600,
  statusRetentionSeconds: 600,
};
const REGISTRY = '000000000000';

/**
 * The real finalizeUpload run at one exact point of a real collection: after the collector marked
 * the digest and read the references (which did not include the new upload: it was handed over
 * after the read), before its sweep. Finalization reuses the indexed blob of the same digest; its
 * `retain` of that blob is all that tells the collector, whose sweep re-checks the mark.
 */
describe('collectGarbage against a finalization of the same digest', () => {
  const prefix = `gcf${randomBytes(4).toString('hex')}`;
  let redis: Redis;
  let dir: string;
  let storage: StorageDriver;
  let stores: Stores;
  beforeAll(async () => {
    redis = new Redis(inject('redisUrl'));
    dir = await mkdtemp(path.join(os.tmpdir(), 'gc-finalize-'));
    storage = createFilesystemDriver({ rootDir: dir });
    stores = createStores(redis, prefix, LIMITS);
    await stores.repositories.create({
      repositoryName: 'repo',
      registryId: REGISTRY,
      createdAt: 0,
      imageTagMutability: 'MUTABLE',
      imageScanningConfiguration: { scanOnPush: false },
      encryptionConfiguration: { encryptionType: 'AES256' },
    });
  });
  afterAll(async () => {
    await redis?.quit();
    await rm(dir, { recursive: true, force: true });
  });

  const finalizeDeps = (): FinalizeDeps => ({
    storage,
    hashPool: {
      checksumFileRange: () => Promise.reject(new Error('no part is read: the digest was verified before')),
      hashFileRanges: () => Promise.reject(new Error('no part is read: the digest was verified before')),
    },
    uploads: stores.uploads,
    layers: stores.layers,
    blobs: stores.blobs,
    verifyMode: 'parts',
  });

  /**
   * A blob nothing references any more (its repository's link is gone): garbage; and a second
   * push of the same layer, whose parts were already verified (a finalization resuming after its
   * verification), so finalize reuses the indexed blob rather than publishing its own parts.
   * `handOver` queues it: called after the collector read the references, which miss it.
   */
  async function garbageAndSecondPush() {
    const bytes = randomBytes(900);
    const digest = `sha256:${createHash('sha256').update(bytes).digest('hex')}`;
    const first = await storage.createUpload(crypto.randomUUID());
    const location = await storage.completeUpload(first, [await storage.writePart(first, 1, bytes)], digest);
    await storage.abortUpload(first);
    expect(await stores.blobs.claim(digest, location)).toBe(location);

    const session = await storage.createUpload(crypto.randomUUID());
    await storage.writePart(session, 1, bytes);
    const upload = await stores.uploads.initiate('repo', REGISTRY, {
      uploadId: session.uploadId,
      storageSession: sessionToJson(session),
    });
    const handOver = () =>
      redis.hset(stores.keys.upload(upload.uploadId), {
        status: 'queued',
        bytesReceived: String(bytes.length),
        layerDigests: JSON.stringify([digest]),
        verifiedDigest: digest,
      });
    return { bytes, digest, location, uploadId: upload.uploadId, handOver };
  }

  const isMarked = async (digest: string) => (await redis.exists(stores.keys.blobMark(digest))) === 1;
  const log = createLogger({ name: 'test', level: 'silent', format: 'json' });

  /** The blob is indexed where it was, linked into the repository, and holds its bytes. */
  async function expectIntact(digest: string, location: string, bytes: Buffer) {
    expect(await stores.blobs.locate(digest)).toBe(location);
    expect((await stores.layers.get('repo', digest))?.size).toBe(bytes.length);
    const chunks: Buffer[] = [];
    for await (const chunk of await storage.blobReader(location)) chunks.push(chunk as Buffer);
    expect(Buffer.concat(chunks).equals(bytes)).toBe(true);
  }

  it('marks the digest, a finalization of it completes, then the sweep: the blob survives', async () => {
    const { bytes, digest, location, uploadId, handOver } = await garbageAndSecondPush();
    const steps: string[] = [];
    const report = await collectGarbage({
      blobs: stores.blobs,
      layers: stores.layers,
      storage,
      graceMs: 0,
      layerLinkGraceMs: DAY_MS,
      references: {
        read: async (options) => {
          const references = await stores.blobReferences.read(options);
          const live = references.live;
          steps.push(`marked: ${await isMarked(digest)}`);
          expect(live.has(digest)).toBe(false);
          await handOver();
          const outcome = await finalizeUpload(uploadId, { id: 'job' }, finalizeDeps(), log);
          expect(outcome).toEqual({
            outcome: 'completed',
            layerDigest: digest,
            layerSize: bytes.length,
            callbackUrl: null,
          });
          steps.push('finalized');
          return references;
        },
      },
    });
    steps.push('swept');

    expect(steps).toEqual(['marked: true', 'finalized', 'swept']);
    expect(report.deleted).toBe(0);
    await expectIntact(digest, location, bytes);
  });

  it('marks the digest, a finalization retains the blob, the sweep runs, then it links: the blob survives', async () => {
    const { bytes, digest, location, uploadId, handOver } = await garbageAndSecondPush();
    const steps: string[] = [];
    // The finalization is held just before it indexes and links the blob (after its retain).
    let reachedIndex!: () => void;
    const atIndex = new Promise<void>((resolve) => {
      reachedIndex = resolve;
    });
    let releaseIndex!: () => void;
    const indexReleased = new Promise<void>((resolve) => {
      releaseIndex = resolve;
    });
    const held: FinalizeDeps = {
      ...finalizeDeps(),
      blobs: {
        retain: (d) => stores.blobs.retain(d),
        claim: async (d, l) => {
          steps.push('finalize: about to index and link');
          reachedIndex();
          await indexReleased;
          return stores.blobs.claim(d, l);
        },
      },
    };
    let finalized: Promise<unknown> | undefined;
    const report = await collectGarbage({
      blobs: stores.blobs,
      layers: stores.layers,
      storage,
      graceMs: 0,
      layerLinkGraceMs: DAY_MS,
      references: {
        read: async (options) => {
          const references = await stores.blobReferences.read(options);
          steps.push(`marked: ${await isMarked(digest)}`);
          await handOver();
          finalized = finalizeUpload(uploadId, { id: 'job' }, held, log);
          await atIndex;
          return references;
        },
      },
    });
    steps.push('swept');
    releaseIndex();
    expect(await finalized).toEqual({
      outcome: 'completed',
      layerDigest: digest,
      layerSize: bytes.length,
      callbackUrl: null,
    });

    expect(steps).toEqual(['marked: true', 'finalize: about to index and link', 'swept']);
    expect(report.deleted).toBe(0);
    await expectIntact(digest, location, bytes);
  });
});

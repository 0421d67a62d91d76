import { createHash, randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import {
  EmptyUploadException,
  InvalidParameterException,
  LayerPartTooSmallException,
  LimitExceededException,
  UploadNotFoundException,
} from '@longshore/domain';
import { createHashPool, type HashPool } from '@longshore/digest';
import { createStores, type PartPolicy, type UploadLimits } from '@longshore/metadata';
import { CompletionWaiter, createFinalizeBatcher, createFinalizeQueue, createVerifyQueue } from '@longshore/queue';
import { createFilesystemDriver, type StorageDriver } from '@longshore/storage';
import { RepositoryService } from '../repositories/repository-service.js';
import { UploadService } from './upload-service.js';

const KiB = 1024;
const REGISTRY = '000000000000';
const LIMITS: UploadLimits = {
  minPartSize: 1 * KiB,
  maxPartSize: 4 * KiB,
  maxParts: 100,
  maxLayerSize: 64 * KiB,
  partLockMs: 60_000,
  uploadTtlSeconds: 600,
  statusRetentionSeconds: 600,
};
/** The OCI door's policy: chunks of any size, a whole layer in one request. */
const OCI_POLICY: PartPolicy = { minPartSize: 0, maxPartSize: LIMITS.maxLayerSize, allowEmpty: true };

/** The upload core on a real Redis and a real filesystem driver; each test file its own prefix. */
describe('UploadService: the upload core the doors share', () => {
  const prefix = `unit${randomBytes(4).toString('hex')}`;
  let redis: Redis;
  let subscriber: Redis;
  let dir: string;
  let storage: StorageDriver;
  let hashPool: HashPool;
  const closers: (() => Promise<unknown>)[] = [];

  /** One API process's service; `limits` stand for that process's configuration. */
  function service(
    limits: UploadLimits = LIMITS,
    repositories?: Pick<RepositoryService, 'require' | 'registryId'>,
  ): UploadService {
    const stores = createStores(redis, prefix, limits);
    const queue = createFinalizeQueue(redis, prefix, { attempts: 1, backoffMs: 10 });
    const verifyQueue = createVerifyQueue(redis, prefix);
    closers.push(
      () => queue.close(),
      () => verifyQueue.close(),
    );
    const waiter = new CompletionWaiter(subscriber, stores.uploads, stores.keys, 1000);
    const batcher = createFinalizeBatcher(queue, waiter, { maxUploads: 64, maxWaitMs: 50, maxInFlight: 2 }, 1000);
    return new UploadService({
      repositories: repositories ?? new RepositoryService({ repositories: stores.repositories, registryId: REGISTRY }),
      uploads: stores.uploads,
      storage,
      hashPool,
      queue,
      batcher,
      verifyQueue,
      backgroundVerifyMinBytes: Number.MAX_SAFE_INTEGER,
      waiter,
      completeWaitMs: 1000,
      maxLayerSize: limits.maxLayerSize,
      bodyDeadlines: { idleMs: 10_000, maxMs: 60_000 },
    });
  }

  let uploads: UploadService;
  const repositoryName = 'core/test';
  const ref = (uploadId: string) => ({ uploadId, repositoryName, registryId: REGISTRY });

  beforeAll(async () => {
    redis = new Redis(inject('redisUrl'));
    subscriber = new Redis(inject('redisUrl'));
    dir = await mkdtemp(path.join(os.tmpdir(), 'upload-core-'));
    storage = createFilesystemDriver({ rootDir: dir });
    hashPool = createHashPool(1);
    uploads = service();
    const stores = createStores(redis, prefix, LIMITS);
    await new RepositoryService({ repositories: stores.repositories, registryId: REGISTRY }).create({ repositoryName });
  });
  afterAll(async () => {
    for (const close of closers) await close();
    await hashPool?.close();
    await redis?.quit();
    await subscriber?.quit();
    await rm(dir, { recursive: true, force: true });
  });

  async function* chunks(...parts: Uint8Array[]): AsyncGenerator<Uint8Array> {
    for (const part of parts) yield part;
  }
  const digestOf = (bytes: Uint8Array) => `sha256:${createHash('sha256').update(bytes).digest('hex')}`;

  it('initiate uses the repository record its caller has just read (create-on-push) instead of reading it again', async () => {
    const real = new RepositoryService({
      repositories: createStores(redis, prefix, LIMITS).repositories,
      registryId: REGISTRY,
    });
    const reads: string[] = [];
    const counting = service(LIMITS, {
      registryId: (asked) => real.registryId(asked),
      require: (name) => {
        reads.push(name);
        return real.require(name);
      },
    });
    const record = await real.require(repositoryName);
    const started = await counting.initiate(repositoryName, REGISTRY, OCI_POLICY, record);
    expect(reads).toEqual([]);
    expect((await counting.status(started.uploadId)).status).toBe('uploading');
    // Without a record, the upload record's own script reads the repository (initiateInRepository).
    const scripted = await counting.initiate(repositoryName, REGISTRY, OCI_POLICY);
    expect(reads).toEqual([]);
    expect((await counting.status(scripted.uploadId)).status).toBe('uploading');
    // With another repository's record, it reads the one it starts the upload in.
    await counting.initiate(repositoryName, REGISTRY, OCI_POLICY, { ...record, repositoryName: 'core/other' });
    expect(reads).toEqual([repositoryName]);
  });

  it('records the upload while its session is made, and leaves no upload when the session cannot be made', async () => {
    const real = storage;
    const planned: string[] = [];
    const planning = (uploadId: string) => {
      planned.push(uploadId);
      return real.plannedSession!(uploadId);
    };
    try {
      storage = Object.assign(Object.create(real) as StorageDriver, { plannedSession: planning });
      const started = await service().initiate(repositoryName, REGISTRY, OCI_POLICY);
      expect(new Set(planned)).toEqual(new Set([started.uploadId]));
      expect(started.storageSession).toBe(JSON.stringify(real.plannedSession!(started.uploadId)));
      // The session was made too: a part lands.
      await expect(
        uploads.uploadPart({ ...ref(started.uploadId), partFirstByte: 0, partLastByte: 3, data: Buffer.from('abcd') }),
      ).resolves.toBe(3);

      storage = Object.assign(Object.create(real) as StorageDriver, {
        plannedSession: planning,
        createUpload: async () => {
          throw new Error('no room for the session');
        },
      });
      await expect(service().initiate(repositoryName, REGISTRY, OCI_POLICY)).rejects.toThrow('no room for the session');
      const refused = planned.at(-1)!;
      expect(refused).not.toBe(started.uploadId);
      expect(await createStores(redis, prefix, LIMITS).uploads.get(refused)).toBeUndefined();
    } finally {
      storage = real;
    }
  });

  describe('part policy fixed at initiate', () => {
    it('the ECR policy refuses a part above MAX_PART_SIZE and a small inner part', async () => {
      const { uploadId } = await uploads.initiate(repositoryName, REGISTRY);
      const big = randomBytes(LIMITS.maxPartSize + 1);
      await expect(
        uploads.uploadPart({ ...ref(uploadId), partFirstByte: 0, partLastByte: big.length - 1, data: big }),
      ).rejects.toBeInstanceOf(InvalidParameterException);
      const small = randomBytes(100);
      await uploads.uploadPart({ ...ref(uploadId), partFirstByte: 0, partLastByte: 99, data: small });
      await uploads.uploadPart({ ...ref(uploadId), partFirstByte: 100, partLastByte: 199, data: small });
      await expect(
        uploads.beginCompletion({ ...ref(uploadId), layerDigests: [digestOf(Buffer.concat([small, small]))] }),
      ).rejects.toBeInstanceOf(LayerPartTooSmallException);
    });

    it('the OCI policy takes parts of any size, up to a whole layer in one part', async () => {
      const { uploadId, minPartSize, maxPartSize, allowEmpty } = await uploads.initiate(
        repositoryName,
        REGISTRY,
        OCI_POLICY,
      );
      expect({ minPartSize, maxPartSize, allowEmpty }).toEqual(OCI_POLICY);
      const tiny = randomBytes(10);
      const big = randomBytes(LIMITS.maxPartSize * 3);
      await uploads.uploadPart({ ...ref(uploadId), partFirstByte: 0, partLastByte: 9, data: tiny });
      const last = await uploads.uploadPart({
        ...ref(uploadId),
        partFirstByte: 10,
        partLastByte: 10 + big.length - 1,
        data: big,
      });
      expect(last).toBe(10 + big.length - 1);
      const record = await uploads.beginCompletion({
        ...ref(uploadId),
        layerDigests: [digestOf(Buffer.concat([tiny, big]))],
      });
      expect(record.status).toBe('queued');
    });

    it('only a policy that allows it lets an upload complete empty (the OCI empty blob)', async () => {
      const empty = digestOf(Buffer.alloc(0));
      const oci = await uploads.initiate(repositoryName, REGISTRY, OCI_POLICY);
      expect((await uploads.beginCompletion({ ...ref(oci.uploadId), layerDigests: [empty] })).status).toBe('queued');
      const ecr = await uploads.initiate(repositoryName, REGISTRY);
      await expect(uploads.beginCompletion({ ...ref(ecr.uploadId), layerDigests: [empty] })).rejects.toBeInstanceOf(
        EmptyUploadException,
      );
    });

    it("every API process enforces the upload's own policy, whatever its configuration", async () => {
      const { uploadId } = await uploads.initiate(repositoryName, REGISTRY, OCI_POLICY);
      const strict = service({ ...LIMITS, maxPartSize: 1 * KiB });
      const big = randomBytes(LIMITS.maxPartSize * 2);
      await expect(
        strict.uploadPart({ ...ref(uploadId), partFirstByte: 0, partLastByte: big.length - 1, data: big }),
      ).resolves.toBe(big.length - 1);

      const ecr = await strict.initiate(repositoryName, REGISTRY);
      const part = randomBytes(2 * KiB);
      await expect(
        uploads.uploadPart({ ...ref(ecr.uploadId), partFirstByte: 0, partLastByte: part.length - 1, data: part }),
      ).rejects.toBeInstanceOf(InvalidParameterException);
    });
  });

  describe('streamed parts of unknown length', () => {
    it('take the whole body, in order, and report the last byte', async () => {
      const { uploadId } = await uploads.initiate(repositoryName, REGISTRY, OCI_POLICY);
      const pieces = [randomBytes(3000), randomBytes(1), randomBytes(20_000)];
      const last = await uploads.uploadPart({ ...ref(uploadId), partFirstByte: 0, data: chunks(...pieces) });
      expect(last).toBe(23_000);
      const more = randomBytes(500);
      expect(await uploads.uploadPart({ ...ref(uploadId), partFirstByte: 23_001, data: chunks(more) })).toBe(23_500);
      const record = await uploads.status(uploadId);
      expect(record.bytesReceived).toBe(23_501);
      expect(record.partsReceived).toBe(2);
      const record2 = await uploads.beginCompletion({
        ...ref(uploadId),
        layerDigests: [digestOf(Buffer.concat([...pieces, more]))],
      });
      expect(record2.status).toBe('queued');
    });

    it('an empty body adds nothing', async () => {
      const { uploadId } = await uploads.initiate(repositoryName, REGISTRY, OCI_POLICY);
      expect(await uploads.uploadPart({ ...ref(uploadId), partFirstByte: 0, data: chunks() })).toBe(-1);
      expect((await uploads.status(uploadId)).partsReceived).toBe(0);
      expect(await uploads.uploadPart({ ...ref(uploadId), partFirstByte: 0, data: chunks(randomBytes(5)) })).toBe(4);
    });

    it("are bounded by the upload's maxPartSize", async () => {
      const { uploadId } = await uploads.initiate(repositoryName, REGISTRY);
      await expect(
        uploads.uploadPart({
          ...ref(uploadId),
          partFirstByte: 0,
          data: chunks(randomBytes(LIMITS.maxPartSize), randomBytes(1)),
        }),
      ).rejects.toBeInstanceOf(InvalidParameterException);
      // The refused part left the upload as it was: the same offset is taken again.
      expect(await uploads.uploadPart({ ...ref(uploadId), partFirstByte: 0, data: chunks(randomBytes(7)) })).toBe(6);
    });

    it('are bounded by MAX_LAYER_SIZE', async () => {
      const { uploadId } = await uploads.initiate(repositoryName, REGISTRY, OCI_POLICY);
      const almost = randomBytes(LIMITS.maxLayerSize - 10);
      await uploads.uploadPart({ ...ref(uploadId), partFirstByte: 0, data: chunks(almost) });
      await expect(
        uploads.uploadPart({ ...ref(uploadId), partFirstByte: almost.length, data: chunks(randomBytes(11)) }),
      ).rejects.toBeInstanceOf(LimitExceededException);
      expect(
        await uploads.uploadPart({ ...ref(uploadId), partFirstByte: almost.length, data: chunks(randomBytes(10)) }),
      ).toBe(LIMITS.maxLayerSize - 1);
    });
  });

  describe('abort', () => {
    it('ends the upload and removes its bytes; later parts and completion are told it does not exist', async () => {
      const { uploadId } = await uploads.initiate(repositoryName, REGISTRY, OCI_POLICY);
      const part = randomBytes(2000);
      await uploads.uploadPart({ ...ref(uploadId), partFirstByte: 0, data: chunks(part) });
      expect(await storage.list('uploads')).toContain(uploadId);

      await uploads.abort(ref(uploadId));
      expect(await storage.list('uploads')).not.toContain(uploadId);
      await expect(
        uploads.uploadPart({ ...ref(uploadId), partFirstByte: 2000, data: chunks(part) }),
      ).rejects.toBeInstanceOf(UploadNotFoundException);
      await expect(
        uploads.beginCompletion({ ...ref(uploadId), layerDigests: [digestOf(part)] }),
      ).rejects.toBeInstanceOf(UploadNotFoundException);
      await expect(uploads.status(uploadId)).rejects.toBeInstanceOf(UploadNotFoundException);
      await expect(uploads.abort(ref(uploadId))).rejects.toBeInstanceOf(UploadNotFoundException);
    });

    it('refuses a part still streaming when the upload is aborted, and never recreates its bytes', async () => {
      const { uploadId } = await uploads.initiate(repositoryName, REGISTRY, OCI_POLICY);
      let resume!: () => void;
      const held = new Promise<void>((resolve) => {
        resume = resolve;
      });
      let started!: () => void;
      const streaming = new Promise<void>((resolve) => {
        started = resolve;
      });
      async function* slowBody(): AsyncGenerator<Uint8Array> {
        yield randomBytes(1000);
        started();
        await held;
        yield randomBytes(1000);
      }
      const part = uploads.uploadPart({ ...ref(uploadId), partFirstByte: 0, data: slowBody() });
      await streaming;
      await uploads.abort(ref(uploadId));
      resume();
      await expect(part).rejects.toBeInstanceOf(UploadNotFoundException);
      expect(await storage.list('uploads')).not.toContain(uploadId);
    });

    it('refuses an upload of another repository, and one already being completed', async () => {
      const { uploadId } = await uploads.initiate(repositoryName, REGISTRY, OCI_POLICY);
      const part = randomBytes(100);
      await uploads.uploadPart({ ...ref(uploadId), partFirstByte: 0, data: chunks(part) });
      await expect(uploads.abort({ ...ref(uploadId), repositoryName: 'core/other' })).rejects.toBeInstanceOf(
        UploadNotFoundException,
      );
      await uploads.beginCompletion({ ...ref(uploadId), layerDigests: [digestOf(part)] });
      await expect(uploads.abort(ref(uploadId))).rejects.toBeInstanceOf(UploadNotFoundException);
      expect((await uploads.status(uploadId)).status).toBe('queued');
    });
  });
});

import { createHash, randomBytes } from 'node:crypto';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import {
  INLINE_HASH_MAX_BYTES,
  InvalidLayerPartException,
  RepositoryNotFoundException,
  UploadNotFoundException,
} from '@longshore/domain';
import { createHashPool, type HashPool } from '@longshore/digest';
import { createStores, type PartPolicy, type UploadLimits, type UploadStore } from '@longshore/metadata';
import { CompletionWaiter, createFinalizeBatcher, createFinalizeQueue, createVerifyQueue } from '@longshore/queue';
import { createFilesystemDriver, sessionFromJson, type StorageDriver } from '@longshore/storage';
import { RepositoryService } from '../repositories/repository-service.js';
import { UploadService, type PartUpload } from './upload-service.js';

const KiB = 1024;
const REGISTRY = '000000000000';
const LIMITS: UploadLimits = {
  minPartSize: 1 * KiB,
  maxPartSize: 64 * KiB,
  maxParts: 100,
  maxLayerSize: 1024 * KiB,
  partLockMs: 60_000,
  uploadTtlSeconds: 600,
  statusRetentionSeconds: 600,
};
const OCI_POLICY: PartPolicy = { minPartSize: 0, maxPartSize: LIMITS.maxLayerSize, allowEmpty: true };

/** A promise the test resolves: holds one writer at a chosen step while another goes on. */
function gate() {
  let open!: () => void;
  const opened = new Promise<void>((resolve) => {
    open = resolve;
  });
  let reach!: () => void;
  const reached = new Promise<void>((resolve) => {
    reach = resolve;
  });
  return { open, opened, reach, reached };
}

/** `target` with `method` held at `held` (once reached, until opened), everything else its own. */
function holding<T extends object>(target: T, method: string, held: ReturnType<typeof gate>): T {
  return new Proxy(target, {
    get(object, property, receiver) {
      const value = Reflect.get(object, property, receiver) as unknown;
      if (typeof value !== 'function') return value;
      if (property !== method) return value.bind(object);
      return async (...args: unknown[]) => {
        held.reach();
        await held.opened;
        return (value as (...a: unknown[]) => unknown).apply(object, args);
      };
    },
  });
}

/**
 * A small part on local part files is written and committed without a claim: the upload's
 * record is read, the part written under the next part number as read, and one script commits
 * it if the upload is still as read. These are the races and crashes of that way, on a real Redis
 * and a real filesystem driver: the part lands exactly once, no file of a refused writer stays
 * behind, and every client hears what the claimed way would have told it.
 */
describe('UploadService: parts in memory committed without a claim', () => {
  const prefix = `unit${randomBytes(4).toString('hex')}`;
  let redis: Redis;
  let subscriber: Redis;
  let dir: string;
  let storage: StorageDriver;
  let hashPool: HashPool;
  let stores: ReturnType<typeof createStores>;
  const closers: (() => Promise<unknown>)[] = [];
  const repositoryName = 'core/unclaimed';
  const ref = (uploadId: string) => ({ uploadId, repositoryName, registryId: REGISTRY });

  /** One API process's service, its store and storage as given (the test holds their steps). */
  function service(uploads: UploadStore = stores.uploads, driver: StorageDriver = storage): UploadService {
    const queue = createFinalizeQueue(redis, prefix, { attempts: 1, backoffMs: 10 });
    const verifyQueue = createVerifyQueue(redis, prefix);
    closers.push(
      () => queue.close(),
      () => verifyQueue.close(),
    );
    const waiter = new CompletionWaiter(subscriber, stores.uploads, stores.keys, 1000);
    const batcher = createFinalizeBatcher(queue, waiter, { maxUploads: 64, maxWaitMs: 50, maxInFlight: 2 }, 1000);
    return new UploadService({
      repositories: new RepositoryService({ repositories: stores.repositories, registryId: REGISTRY }),
      uploads,
      storage: driver,
      hashPool,
      queue,
      batcher,
      verifyQueue,
      backgroundVerifyMinBytes: Number.MAX_SAFE_INTEGER,
      waiter,
      completeWaitMs: 1000,
      maxLayerSize: LIMITS.maxLayerSize,
      bodyDeadlines: { idleMs: 10_000, maxMs: 60_000 },
    });
  }

  /** Counts the store's claims (the claimed way) while the test runs. */
  function countingClaims(): { uploads: UploadStore; claims: () => number } {
    const { uploads, calls } = counting('claimPart');
    return { uploads, claims: calls };
  }

  /** Counts the store's calls of `method` while the test runs. */
  function counting(method: keyof UploadStore): { uploads: UploadStore; calls: () => number } {
    let calls = 0;
    const uploads = new Proxy(stores.uploads, {
      get(object, property, receiver) {
        const value = Reflect.get(object, property, receiver) as unknown;
        if (typeof value !== 'function') return value;
        if (property === method) calls++;
        return value.bind(object);
      },
    });
    return { uploads, calls: () => calls };
  }

  beforeAll(async () => {
    redis = new Redis(inject('redisUrl'));
    subscriber = new Redis(inject('redisUrl'));
    subscriber.setMaxListeners(64); // one waiter per service made here
    dir = await mkdtemp(path.join(os.tmpdir(), 'unclaimed-parts-'));
    storage = createFilesystemDriver({ rootDir: dir });
    hashPool = createHashPool(1);
    stores = createStores(redis, prefix, LIMITS);
    await new RepositoryService({ repositories: stores.repositories, registryId: REGISTRY }).create({ repositoryName });
  });
  afterAll(async () => {
    for (const close of closers) await close();
    await hashPool?.close();
    await redis?.quit();
    await subscriber?.quit();
    await rm(dir, { recursive: true, force: true });
  });

  const partsDir = (uploadId: string) => path.join(dir, 'uploads', uploadId);
  const filesOf = async (uploadId: string) => (await readdir(partsDir(uploadId)).catch(() => [])).sort();
  const committedNumbers = async (uploadId: string) =>
    (await stores.uploads.parts(uploadId)).map((p) => String(p.partNumber)).sort();
  const partOf = (uploadId: string, data: Uint8Array, first = 0): PartUpload => ({
    ...ref(uploadId),
    partFirstByte: first,
    partLastByte: first + data.byteLength - 1,
    data,
  });
  const sha256 = (bytes: Uint8Array) => createHash('sha256').update(bytes).digest('hex');

  /**
   * A small part (written inline) and a large one in shared memory (over INLINE_HASH_MAX_BYTES:
   * hashed on the hash pool, as the ECR door's 10 MiB parts in their decode slots are), each under
   * a policy that takes it.
   */
  const SIZES = [
    { kind: 'small', bytes: 4 * KiB, policy: undefined },
    { kind: 'large', bytes: 300 * KiB, policy: OCI_POLICY },
  ] as const;
  /** Random bytes (or a copy of `from`); a large part's in shared memory, as a decode slot is. */
  const partBytes = (size: number, from: Buffer = randomBytes(size)): Buffer => {
    if (size <= INLINE_HASH_MAX_BYTES) return Buffer.from(from);
    const shared = Buffer.from(new SharedArrayBuffer(size));
    from.copy(shared);
    return shared;
  };

  it.each(SIZES)(
    'a $kind part in memory is committed without a claim, and the next claim takes the next number',
    async ({ bytes: size, policy }) => {
      const { uploads, claims } = countingClaims();
      const core = service(uploads);
      const { uploadId } = await core.initiate(repositoryName, REGISTRY, policy);
      const small = partBytes(size);
      expect(await core.uploadPart(partOf(uploadId, small))).toBe(small.length - 1);
      expect(claims()).toBe(0);
      expect(await committedNumbers(uploadId)).toEqual(['1']);
      expect(await readFile(path.join(partsDir(uploadId), '1'))).toEqual(small);
      // A streamed part (the claimed way) follows under number 2, from the hash state the first left.
      const streamed = randomBytes(2 * KiB);
      const last = await core.uploadPart({
        ...ref(uploadId),
        partFirstByte: small.length,
        partLastByte: small.length + streamed.length - 1,
        length: streamed.length,
        data: Readable.from([streamed]),
      });
      expect(last).toBe(small.length + streamed.length - 1);
      expect(claims()).toBe(1);
      expect(await committedNumbers(uploadId)).toEqual(['1', '2']);
    },
  );

  it('a large part in memory of its own goes the claimed way (the hash pool takes that memory)', async () => {
    const { uploads, claims } = countingClaims();
    const core = service(uploads);
    const { uploadId } = await core.initiate(repositoryName, REGISTRY, OCI_POLICY);
    const large = randomBytes(600 * KiB);
    const expected = sha256(large);
    expect(await core.uploadPart(partOf(uploadId, large))).toBe(600 * KiB - 1);
    expect(claims()).toBe(1);
    expect(await committedNumbers(uploadId)).toEqual(['1']);
    expect(sha256(await readFile(path.join(partsDir(uploadId), '1')))).toBe(expected);
  });

  /**
   * The two ways a writer without a claim starts: from a record read (the upload initiated by
   * another process), and from the upload as its own process left it (initiated by it), whose
   * commit is commitUnclaimedPartInRepository.
   */
  const WAYS = SIZES.flatMap((size) => [
    { ...size, way: 'read', commit: 'commitUnclaimedPart' as const },
    { ...size, way: 'left', commit: 'commitUnclaimedPartInRepository' as const },
  ]);
  /** The upload `first` writes a part of: initiated by itself (way 'left') or by another process. */
  const initiatedFor = (way: string, first: UploadService, policy?: PartPolicy) =>
    (way === 'left' ? first : service()).initiate(repositoryName, REGISTRY, policy);

  it.each(WAYS)(
    'two writers of the same $kind part ($way): the one whose commit comes second loses, its file is removed, both are answered as accepted',
    async ({ bytes: size, policy, way, commit }) => {
      const held = gate();
      const first = service(holding(stores.uploads, commit, held));
      const second = service();
      const { uploadId } = await initiatedFor(way, first, policy);
      const bytes = partBytes(2 * size);
      // The first writer has written number 1 and is held before its commit.
      const firstAnswer = first.uploadPart(partOf(uploadId, bytes));
      await held.reached;
      expect(await filesOf(uploadId)).toEqual(['1']);
      // The second finds number 1 taken, goes the claimed way (number 1 again: taken; then 2) and commits.
      expect(await second.uploadPart(partOf(uploadId, partBytes(bytes.length, bytes)))).toBe(bytes.length - 1);
      held.open();
      // The first's commit is refused (numbers were handed out since its read): its file goes, and
      // its claimed retry finds the same bytes committed (a replay, accepted).
      expect(await firstAnswer).toBe(bytes.length - 1);
      expect(await committedNumbers(uploadId)).toEqual(['2']);
      expect(await filesOf(uploadId)).toEqual(['2']);
      const record = await stores.uploads.get(uploadId);
      expect(record).toMatchObject({ bytesReceived: bytes.length, partsReceived: 1, nextPartNumber: 2 });
    },
  );

  it.each(WAYS)(
    'two writers of the same offset with different $kind parts ($way): exactly one lands, the other hears where the upload stands',
    async ({ bytes: size, policy, way, commit }) => {
      const held = gate();
      const first = service(holding(stores.uploads, commit, held));
      const second = service();
      const { uploadId } = await initiatedFor(way, first, policy);
      const mine = partBytes(2 * size);
      const theirs = partBytes(2 * size);
      const firstAnswer = first.uploadPart(partOf(uploadId, mine));
      await held.reached;
      expect(await second.uploadPart(partOf(uploadId, theirs))).toBe(theirs.length - 1);
      held.open();
      const refused = await firstAnswer.catch((err: unknown) => err);
      expect(refused).toBeInstanceOf(InvalidLayerPartException);
      expect((refused as InvalidLayerPartException).fields.lastValidByteReceived).toBe(theirs.length - 1);
      const [committed] = await stores.uploads.parts(uploadId);
      expect(await filesOf(uploadId)).toEqual([String(committed!.partNumber)]);
      expect(sha256(await readFile(path.join(partsDir(uploadId), String(committed!.partNumber))))).toBe(sha256(theirs));
    },
  );

  it('a writer held before its file is written finds the part committed by another and is answered as a replay', async () => {
    const held = gate();
    const first = service(stores.uploads, holding(storage, 'writePart', held));
    const second = service();
    const { uploadId } = await first.initiate(repositoryName, REGISTRY);
    const bytes = randomBytes(8 * KiB);
    const firstAnswer = first.uploadPart(partOf(uploadId, bytes));
    await held.reached;
    expect(await second.uploadPart(partOf(uploadId, Buffer.from(bytes)))).toBe(bytes.length - 1);
    held.open();
    expect(await firstAnswer).toBe(bytes.length - 1);
    expect(await committedNumbers(uploadId)).toEqual(['1']);
    expect(await filesOf(uploadId)).toEqual(['1']);
    expect(await readFile(path.join(partsDir(uploadId), '1'))).toEqual(bytes);
  });

  it('a crash between the file write and the commit: the part sent again lands under another number, the dead file is never committed', async () => {
    const core = service();
    const { uploadId } = await core.initiate(repositoryName, REGISTRY, OCI_POLICY);
    // What a writer that died after its write and before its commit leaves: the file of the next number.
    const dead = randomBytes(8 * KiB);
    await writeFile(path.join(partsDir(uploadId), '1'), dead.subarray(0, 3 * KiB));
    const bytes = randomBytes(8 * KiB);
    expect(await core.uploadPart(partOf(uploadId, bytes))).toBe(bytes.length - 1);
    const [committed] = await stores.uploads.parts(uploadId);
    expect(committed!.partNumber).not.toBe(1);
    expect(await readFile(path.join(partsDir(uploadId), String(committed!.partNumber)))).toEqual(bytes);
    // The layer's running digest is the one of the bytes committed, not the dead writer's.
    const more = randomBytes(2 * KiB);
    await core.uploadPart(partOf(uploadId, more, bytes.length));
    const record = await stores.uploads.get(uploadId);
    expect(record).toMatchObject({ bytesReceived: bytes.length + more.length, partsReceived: 2 });
    // Its abort (as its expiry and completion) removes the dead file with the session.
    await core.abort(ref(uploadId));
    expect(await filesOf(uploadId)).toEqual([]);
  });

  it('a crash before a monolithic completion: the closing part with its completion lands past the dead file', async () => {
    const core = service();
    const { uploadId } = await core.initiate(repositoryName, REGISTRY, OCI_POLICY);
    await writeFile(path.join(partsDir(uploadId), '1'), randomBytes(100));
    const bytes = randomBytes(16 * KiB);
    const known = await stores.uploads.get(uploadId);
    const facts = await core.completionFacts(repositoryName, [`sha256:${sha256(bytes)}`]);
    const answer = core.completeWithLastPart(
      {
        ...ref(uploadId),
        partFirstByte: 0,
        partLastByte: bytes.length - 1,
        length: bytes.length,
        data: Readable.from([bytes]),
      },
      { ...ref(uploadId), layerDigests: [`sha256:${sha256(bytes)}`] },
      facts,
      undefined,
      known,
    );
    // No worker runs here: the completion times out waiting, after queueing the right part.
    await expect(answer).rejects.toThrow(/still being finalized/);
    const record = await stores.uploads.get(uploadId);
    expect(record).toMatchObject({ status: 'queued', bytesReceived: bytes.length, partsReceived: 1 });
    const [committed] = await stores.uploads.parts(uploadId);
    expect(committed!.partNumber).not.toBe(1);
    expect(await readFile(path.join(partsDir(uploadId), String(committed!.partNumber)))).toEqual(bytes);
  });

  it.each(WAYS.filter((w) => w.kind === 'small'))(
    'a part of an upload aborted after its start ($way): refused as the claimed way refuses, no file left',
    async ({ way, commit }) => {
      const held = gate();
      const core = service(holding(stores.uploads, commit, held));
      const { uploadId } = await initiatedFor(way, core);
      const answer = core.uploadPart(partOf(uploadId, randomBytes(4 * KiB)));
      await held.reached;
      expect(await filesOf(uploadId)).toEqual(['1']);
      await service().abort(ref(uploadId));
      held.open();
      await expect(answer).rejects.toBeInstanceOf(UploadNotFoundException);
      expect(await filesOf(uploadId)).toEqual([]);
      expect(await stores.uploads.get(uploadId)).toBeUndefined();
      // The session is gone: nothing of the upload stays on disk.
      const session = sessionFromJson(JSON.stringify({ uploadId, state: {} }), uploadId);
      await expect(storage.partReader(session, 1)).rejects.toThrow();
    },
  );

  it('parts of an upload this process initiated or last wrote start from it as left: no record read, the hash state carried', async () => {
    const { uploads, calls: reads } = counting('partStart');
    const core = service(uploads);
    const { uploadId } = await core.initiate(repositoryName, REGISTRY);
    const parts = [randomBytes(8 * KiB), randomBytes(8 * KiB), randomBytes(3 * KiB)];
    let first = 0;
    for (const bytes of parts) {
      expect(await core.uploadPart(partOf(uploadId, bytes, first))).toBe(first + bytes.length - 1);
      first += bytes.length;
    }
    expect(reads()).toBe(0);
    expect(await committedNumbers(uploadId)).toEqual(['1', '2', '3']);
    const record = await stores.uploads.get(uploadId);
    expect(record).toMatchObject({ bytesReceived: first, partsReceived: 3, nextPartNumber: 3, partInFlight: false });
    // The hash state is the one the same parts leave when each is written from a record read.
    const { uploadId: readEach } = await service().initiate(repositoryName, REGISTRY);
    first = 0;
    for (const bytes of parts) {
      await service().uploadPart(partOf(readEach, Buffer.from(bytes), first));
      first += bytes.length;
    }
    expect(reads()).toBe(0);
    expect(record!.hashState).toBeTruthy();
    expect(record!.hashState).toBe((await stores.uploads.get(readEach))!.hashState);
  });

  it('a stale entry (a claim taken and given up since) is refused at commit, its file removed, and the part lands as a read would have placed it', async () => {
    const { uploads, calls: reads } = counting('partStart');
    const core = service(uploads);
    const { uploadId } = await core.initiate(repositoryName, REGISTRY);
    // Another process claims the first part (number 1) and gives the claim up without a write.
    const claim = await stores.uploads.claimPart(ref(uploadId), 0, 8 * KiB - 1, 8 * KiB);
    await stores.uploads.releaseClaim(ref(uploadId), claim);
    const bytes = randomBytes(8 * KiB);
    expect(await core.uploadPart(partOf(uploadId, bytes))).toBe(bytes.length - 1);
    expect(reads()).toBe(1);
    expect(await committedNumbers(uploadId)).toEqual(['2']);
    expect(await filesOf(uploadId)).toEqual(['2']);
    expect(await readFile(path.join(partsDir(uploadId), '2'))).toEqual(bytes);
  });

  it("a part after another process's part: this process's entry is behind, so it reads the record and lands", async () => {
    const { uploads, calls: reads } = counting('partStart');
    const here = service(uploads);
    const elsewhere = service();
    const { uploadId } = await here.initiate(repositoryName, REGISTRY);
    const one = randomBytes(8 * KiB);
    const two = randomBytes(4 * KiB);
    expect(await elsewhere.uploadPart(partOf(uploadId, one))).toBe(one.length - 1);
    expect(await here.uploadPart(partOf(uploadId, two, one.length))).toBe(one.length + two.length - 1);
    expect(reads()).toBe(1);
    expect(await committedNumbers(uploadId)).toEqual(['1', '2']);
    expect(await stores.uploads.get(uploadId)).toMatchObject({ bytesReceived: one.length + two.length });
  });

  it('a part after its repository was deleted: refused as RepositoryNotFoundException with or without an entry, nothing committed, no file left', async () => {
    const repositories = new RepositoryService({ repositories: stores.repositories, registryId: REGISTRY });
    for (const [name, partWriter] of [
      ['core/deleted-here', 'initiator'],
      ['core/deleted-elsewhere', 'another'],
    ] as const) {
      await repositories.create({ repositoryName: name });
      const initiator = service();
      const { uploadId } = await initiator.initiate(name, REGISTRY);
      await stores.repositories.delete(name, REGISTRY, false);
      const writer = partWriter === 'initiator' ? initiator : service();
      const part = { ...partOf(uploadId, randomBytes(8 * KiB)), repositoryName: name };
      await expect(writer.uploadPart(part)).rejects.toBeInstanceOf(RepositoryNotFoundException);
      // (The claimed way's claim, released at once, took a part number either way.)
      const record = await stores.uploads.get(uploadId);
      expect(record).toMatchObject({ bytesReceived: 0, partsReceived: 0, partInFlight: false });
      expect(await filesOf(uploadId)).toEqual([]);
    }
  });
});

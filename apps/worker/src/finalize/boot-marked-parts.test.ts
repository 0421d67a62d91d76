import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { mkdtemp, open, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { createHashPool, createResumableSha256, partChecksumOf, type HashPool } from '@longshore/digest';
import { RefusedError } from '@longshore/domain';
import { createStores, type PartRecord, type Stores, type UploadRecord } from '@longshore/metadata';
import { bootMark, createFilesystemDriver, type StorageDriver, type UploadSession } from '@longshore/storage';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { verifySmallUpload } from './verify-small-upload.js';
import { verifyStoredPart } from './verify-stored-part.js';
import { verifyUpload } from './verify-upload.js';

const MiB = 1024 * 1024;
const HERE = 'aaaaaaaa-0000-4000-8000-000000000001';
const ELSEWHERE = 'bbbbbbbb-0000-4000-8000-000000000002';

/**
 * Parts recorded with their writer's boot id instead of a CRC32C (storage's machine-boot.ts), on
 * real part files, a real hash pool and a real Redis: on the machine and boot that wrote them they
 * are only fsynced; anywhere else the layer is re-hashed from the stored bytes and a part a crash
 * changed is refused.
 */
describe('parts marked with the boot that wrote them', () => {
  let root: string;
  let storage: StorageDriver;
  let hashPool: HashPool;
  let redis: Redis;
  let stores: Stores;

  beforeAll(async () => {
    root = await mkdtemp(path.join(tmpdir(), 'boot-marked-'));
    storage = createFilesystemDriver({ rootDir: root });
    hashPool = createHashPool(2);
    redis = new Redis(inject('redisUrl'));
    stores = createStores(redis, `ls${randomBytes(4).toString('hex')}`, {
      minPartSize: 0,
      maxPartSize: 64 * MiB,
      maxParts: 100,
      maxLayerSize: 1024 * MiB,
      partLockMs: 60_000,
      uploadTtlSeconds: 600,
      statusRetentionSeconds: 600,
    });
  });
  afterAll(async () => {
    await hashPool?.close();
    await redis?.quit();
    await rm(root, { recursive: true, force: true });
  });

  /** An upload of `sizes` streamed parts (numbers 1..n), marked as written in `boot`. */
  async function streamedUpload(sizes: number[], boot: string) {
    const uploadId = randomUUID();
    const session = await storage.createUpload(uploadId);
    const bytes = randomBytes(sizes.reduce((a, b) => a + b, 0));
    const layer = await createResumableSha256();
    layer.update(bytes);
    const hashState = Buffer.from(layer.save()).toString('base64');
    const parts: PartRecord[] = [];
    let offset = 0;
    for (const [i, size] of sizes.entries()) {
      const chunk = bytes.subarray(offset, offset + size);
      await storage.writePart(session, i + 1, Readable.from([chunk.subarray(0, 1000), chunk.subarray(1000)]), size);
      parts.push({ offset, length: size, checksum: bootMark(boot), partNumber: i + 1, receipt: '' });
      offset += size;
    }
    const record = { uploadId, bytesReceived: bytes.length, hashState, layerDigests: [] } as unknown as UploadRecord;
    return { uploadId, session, bytes, parts, record };
  }

  async function flipByte(session: UploadSession, partNumber: number, at: number) {
    const file = await open(storage.localParts!.partPath(session, partNumber), 'r+');
    try {
      const one = Buffer.alloc(1);
      await file.read(one, 0, 1, at);
      one[0] = one[0]! ^ 0xff;
      await file.write(one, 0, 1, at);
    } finally {
      await file.close();
    }
  }

  /** The hash pool, counting the stored bytes re-hashed and the checksums read back. */
  function countingPool() {
    const counts = { rehashes: 0, readBacks: 0 };
    const pool: Pick<HashPool, 'checksumFileRange' | 'hashFileRanges'> = {
      hashFileRanges: (task) => {
        counts.rehashes++;
        return hashPool.hashFileRanges(task);
      },
      checksumFileRange: (task) => {
        counts.readBacks++;
        return hashPool.checksumFileRange(task);
      },
    };
    return { counts, pool };
  }

  const none = { ok: new Set<number>(), bad: [] };

  it('on the boot that wrote them: the carried digest, nothing read back', async () => {
    const upload = await streamedUpload([5 * MiB, 5 * MiB, 3 * MiB + 7], HERE);
    const { counts, pool } = countingPool();
    let verified = 0;
    const deps = {
      storage,
      hashPool: pool,
      verifyMode: 'parts' as const,
      bootId: HERE,
      onVerifiedBytes: (n: number) => (verified += n),
    };
    const digest = await verifyUpload(upload.record, upload.parts, none, upload.session, deps);
    expect(digest).toBe(`sha256:${createHash('sha256').update(upload.bytes).digest('hex')}`);
    expect(counts).toEqual({ rehashes: 0, readBacks: 0 });
    expect(verified).toBe(0);
  });

  it('on another boot (or machine): the stored layer is re-hashed, and an intact one completes', async () => {
    const upload = await streamedUpload([5 * MiB, 5 * MiB, 3 * MiB + 7], HERE);
    const { counts, pool } = countingPool();
    const deps = { storage, hashPool: pool, verifyMode: 'parts' as const, bootId: ELSEWHERE };
    const carried = await verifyUpload(upload.record, upload.parts, none, upload.session, { ...deps, bootId: HERE });
    expect(await verifyUpload(upload.record, upload.parts, none, upload.session, deps)).toBe(carried);
    expect(counts.rehashes).toBe(1);
  });

  it('on another boot: a part a crash changed is refused (the layer digest no longer matches)', async () => {
    const upload = await streamedUpload([5 * MiB, 5 * MiB, 3 * MiB + 7], HERE);
    await flipByte(upload.session, 2, 4096 + 17);
    const deps = { storage, hashPool, verifyMode: 'parts' as const, bootId: ELSEWHERE };
    await expect(verifyUpload(upload.record, upload.parts, none, upload.session, deps)).rejects.toMatchObject({
      constructor: RefusedError,
      code: 'LAYER_HASH_MISMATCH',
    });
    // Without a known boot (not Linux) no mark is trusted either.
    const unknown = { storage, hashPool, verifyMode: 'parts' as const };
    await expect(verifyUpload(upload.record, upload.parts, none, upload.session, unknown)).rejects.toMatchObject({
      code: 'LAYER_HASH_MISMATCH',
    });
  });

  it('a small layer from memory: the same two branches', async () => {
    const upload = await streamedUpload([300_000, 200_001], HERE);
    const local = storage.localParts!;
    const here = await verifySmallUpload(upload.record, upload.parts, none, upload.session, local, 'parts', HERE);
    expect(Buffer.concat(here.bytes).equals(upload.bytes)).toBe(true);
    const elsewhere = await verifySmallUpload(
      upload.record,
      upload.parts,
      none,
      upload.session,
      local,
      'parts',
      ELSEWHERE,
    );
    expect(elsewhere.digest).toBe(here.digest);
    await flipByte(upload.session, 1, 99);
    await expect(
      verifySmallUpload(upload.record, upload.parts, none, upload.session, local, 'parts', ELSEWHERE),
    ).rejects.toMatchObject({
      code: 'LAYER_HASH_MISMATCH',
    });
  });

  describe('the flush job of several parts', () => {
    const jobOf = (upload: Awaited<ReturnType<typeof streamedUpload>>, bootId: string, partNumbers: number[]) => ({
      uploadId: upload.uploadId,
      storageSession: JSON.stringify(upload.session),
      partNumber: partNumbers.at(-1)!,
      partNumbers,
      length: 0,
      checksum: bootMark(bootId),
      flushOnly: true,
      bootId,
    });

    it('on the writer’s boot: flushes the parts still there and records them checked', async () => {
      const upload = await streamedUpload([2 * MiB, 2 * MiB, MiB], HERE);
      const deps = { storage, hashPool, uploads: stores.uploads, bootId: HERE };
      // Part 4 was never written (a claim that failed): not recorded.
      expect(await verifyStoredPart(jobOf(upload, HERE, [1, 2, 4]), deps)).toBe('ok');
      const checked = await stores.uploads.checkedParts(upload.uploadId);
      expect([...checked.ok].sort()).toEqual([1, 2]);
      expect(checked.bad).toEqual([]);
    });

    it('on another boot: records nothing, for completion to re-hash', async () => {
      const upload = await streamedUpload([2 * MiB, 2 * MiB], HERE);
      const deps = { storage, hashPool, uploads: stores.uploads, bootId: ELSEWHERE };
      expect(await verifyStoredPart(jobOf(upload, HERE, [1, 2]), deps)).toBe('gone');
      expect(await stores.uploads.checkedParts(upload.uploadId)).toEqual({ ok: new Set(), bad: [] });
    });

    it('a part with a CRC32C flushed on another boot is read back instead, and a changed one is bad', async () => {
      const upload = await streamedUpload([2 * MiB], HERE);
      const bytes = upload.bytes;
      const checksum = await partChecksumOf(bytes, 'crc32c');
      const job = { ...jobOf(upload, HERE, [1]), partNumbers: undefined, checksum, length: bytes.length };
      const deps = { storage, hashPool, uploads: stores.uploads, bootId: ELSEWHERE };
      expect(await verifyStoredPart(job, deps)).toBe('ok');
      const second = await streamedUpload([2 * MiB], HERE);
      await flipByte(second.session, 1, 5);
      const changed = {
        ...job,
        uploadId: second.uploadId,
        storageSession: JSON.stringify(second.session),
        checksum: await partChecksumOf(second.bytes, 'crc32c'),
      };
      expect(await verifyStoredPart(changed, deps)).toBe('bad');
      expect((await stores.uploads.checkedParts(second.uploadId)).bad).toEqual([1]);
    });
  });
});

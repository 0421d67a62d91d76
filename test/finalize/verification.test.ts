import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import {
  BatchCheckLayerAvailabilityCommand,
  CompleteLayerUploadCommand,
  CreateRepositoryCommand,
  InvalidLayerException,
} from '@aws-sdk/client-ecr';
import { INLINE_HASH_MAX_BYTES } from '@longshore/domain';
import type { RedisClient } from '@longshore/queue';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startLongshore, type Longshore } from '../support/longshore-harness.js';
import { randomLayer, uploadParts } from '../support/layer-data.js';
import { e2eBackend } from '../support/test-backend.js';

const KiB = 1024;
const CRC32C = /^crc32c:[0-9a-f]{8}$/;
/** A boot of this machine other than the current one (the kernel draws a random id each boot). */
const ANOTHER_BOOT = 'boot:00000000-0000-4000-8000-000000000000';

/**
 * What an ECR part's record carries instead of its bytes' hash: a part over INLINE_HASH_MAX_BYTES
 * in a local part file is recorded with the mark of the boot that wrote it (storage's
 * machine-boot.ts); any other part (a small one, or any on S3) with its CRC32C.
 */
async function expectedChecksum(length: number): Promise<string | RegExp> {
  if (e2eBackend() !== 'filesystem' || length <= INLINE_HASH_MAX_BYTES) return CRC32C;
  return `boot:${(await readFile('/proc/sys/kernel/random/boot_id', 'utf8')).trim()}`;
}

/** Each of an upload's part records carries the checksum (or boot mark) its size calls for. */
async function expectRecordedChecksums(longshore: Longshore, redis: RedisClient, uploadId: string): Promise<void> {
  const parts = (await redis.lrange(longshore.keys.uploadParts(uploadId), 0, -1)).map(
    (entry) => JSON.parse(entry) as { checksum: string; length: number },
  );
  expect(parts.length).toBeGreaterThan(0);
  for (const part of parts) expect(part.checksum).toMatch(await expectedChecksum(part.length));
}

/**
 * Rewrites an upload's boot-marked part records as written in another boot of this machine, as
 * a completion after a reboot finds them; answers how many it rewrote.
 */
async function markAsWrittenInAnotherBoot(longshore: Longshore, redis: RedisClient, uploadId: string) {
  const key = longshore.keys.uploadParts(uploadId);
  const entries = await redis.lrange(key, 0, -1);
  let rewritten = 0;
  for (const [index, entry] of entries.entries()) {
    const part = JSON.parse(entry) as { checksum: string; length: number };
    if (!part.checksum.startsWith('boot:')) continue;
    expect(part.checksum).toBe(await expectedChecksum(part.length));
    await redis.lset(key, index, JSON.stringify({ ...part, checksum: ANOTHER_BOOT }));
    rewritten += 1;
  }
  return rewritten;
}

/** Flips the byte at `offset` of an upload's layer in its stored part, as corruption at rest would. */
async function corruptStoredByte(
  longshore: Longshore,
  redis: RedisClient,
  uploadId: string,
  offset: number,
): Promise<void> {
  const parts = (await redis.lrange(longshore.keys.uploadParts(uploadId), 0, -1)).map(
    (entry) => JSON.parse(entry) as { offset: number; length: number; partNumber: number },
  );
  const part = parts.find((p) => p.offset <= offset && offset < p.offset + p.length)!;
  await longshore.storage.corruptPartByte(uploadId, part.partNumber, offset - part.offset);
}

/**
 * Rewrites an upload's part records as records written before CRC32C held them (or boot marks):
 * the part's sha256 (hex) under the field `sha256`, no `checksum`.
 */
async function rewriteAsSha256Records(longshore: Longshore, redis: RedisClient, uploadId: string, layer: Uint8Array) {
  const key = longshore.keys.uploadParts(uploadId);
  const entries = await redis.lrange(key, 0, -1);
  for (const [index, entry] of entries.entries()) {
    const { checksum, ...part } = JSON.parse(entry) as { checksum: string; offset: number; length: number };
    expect(checksum).toMatch(await expectedChecksum(part.length));
    const bytes = layer.subarray(part.offset, part.offset + part.length);
    const sha256 = createHash('sha256').update(bytes).digest('hex');
    await redis.lset(key, index, JSON.stringify({ ...part, sha256 }));
  }
}

async function complete(longshore: Longshore, repositoryName: string, uploadId: string, digest: string) {
  return longshore.ecr.send(new CompleteLayerUploadCommand({ repositoryName, uploadId, layerDigests: [digest] }));
}

describe.each(['parts', 'full'] as const)('finalization with VERIFY_MODE=%s', (verifyMode) => {
  let longshore: Longshore;
  let redis: RedisClient;
  const repositoryName = `verify/${verifyMode}`;

  beforeAll(async () => {
    longshore = await startLongshore({
      env: {
        VERIFY_MODE: verifyMode,
        MIN_PART_SIZE: String(64 * KiB),
        // Keep every check at completion, so corruption after upload is always in reach.
        BACKGROUND_VERIFY_MIN_BYTES: String(1024 * 1024 * 1024),
      },
    });
    redis = longshore.connectRedis();
    await longshore.ecr.send(new CreateRepositoryCommand({ repositoryName }));
  });
  afterAll(async () => {
    await redis?.quit();
    await longshore?.close();
  });

  it('completes with the right digest', async () => {
    const layer = randomLayer(300 * KiB + 7);
    const uploadId = await uploadParts(longshore.ecr, repositoryName, layer.bytes, 64 * KiB);
    const result = await complete(longshore, repositoryName, uploadId, layer.digest);
    expect(result.layerDigest).toBe(layer.digest);
  });

  it('re-hashes the stored bytes when the carried hash state is missing, reaching the same digest', async () => {
    const layer = randomLayer(200 * KiB + 3);
    const uploadId = await uploadParts(longshore.ecr, repositoryName, layer.bytes, 64 * KiB);
    const key = longshore.keys.upload(uploadId);
    expect(await redis.hexists(key, 'hashState')).toBe(1);
    await redis.hdel(key, 'hashState');
    const result = await complete(longshore, repositoryName, uploadId, layer.digest);
    expect(result.layerDigest).toBe(layer.digest);
    const availability = await longshore.ecr.send(
      new BatchCheckLayerAvailabilityCommand({ repositoryName, layerDigests: [layer.digest] }),
    );
    expect(availability.layers?.[0]?.layerSize).toBe(layer.bytes.length);
  });

  it('refuses a digest the bytes do not have (the client is never trusted), and publishes nothing', async () => {
    const layer = randomLayer(200 * KiB + 1);
    const claimed = randomLayer(200 * KiB + 1).digest;
    const uploadId = await uploadParts(longshore.ecr, repositoryName, layer.bytes, 64 * KiB);
    const error = await complete(longshore, repositoryName, uploadId, claimed).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(InvalidLayerException);
    await expectNothingPublished(repositoryName, [claimed, layer.digest]);
  });

  it('refuses a digest the bytes do not have when it must re-hash them (no carried hash state)', async () => {
    const layer = randomLayer(200 * KiB + 5);
    const claimed = randomLayer(200 * KiB + 5).digest;
    const uploadId = await uploadParts(longshore.ecr, repositoryName, layer.bytes, 64 * KiB);
    expect(await redis.hdel(longshore.keys.upload(uploadId), 'hashState')).toBe(1);
    const error = await complete(longshore, repositoryName, uploadId, claimed).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(InvalidLayerException);
    await expectNothingPublished(repositoryName, [claimed, layer.digest]);
  });

  /** Neither digest is in the repository, and no blob of either is stored. */
  async function expectNothingPublished(repository: string, digests: string[]) {
    const availability = await longshore.ecr.send(
      new BatchCheckLayerAvailabilityCommand({ repositoryName: repository, layerDigests: digests }),
    );
    expect(availability.layers ?? []).toEqual([]);
    expect(availability.failures?.map((f) => f.failureCode)).toEqual(digests.map(() => 'MissingLayerDigest'));
    const stored = await longshore.storage.storedBlobDigests();
    for (const digest of digests) expect(stored).not.toContain(digest);
  }

  it('catches a stored part altered on disk as InvalidLayerException, and publishes nothing', async () => {
    const layer = randomLayer(256 * KiB);
    const uploadId = await uploadParts(longshore.ecr, repositoryName, layer.bytes, 64 * KiB);
    // Parts of up to INLINE_HASH_MAX_BYTES carry their CRC32C everywhere: a changed byte is
    // caught on the boot that wrote them too.
    await expectRecordedChecksums(longshore, redis, uploadId);
    await corruptStoredByte(longshore, redis, uploadId, 100 * KiB);
    const error = await complete(longshore, repositoryName, uploadId, layer.digest).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(InvalidLayerException);
    expect((error as Error).message).toMatch(/does not match the checksum recorded when it arrived/);
    const availability = await longshore.ecr.send(
      new BatchCheckLayerAvailabilityCommand({ repositoryName, layerDigests: [layer.digest] }),
    );
    expect(availability.failures?.[0]?.failureCode).toBe('MissingLayerDigest');
  });

  it('catches a changed byte in a part large enough to be checked on the hash pool', async () => {
    const layer = randomLayer(3 * 512 * KiB + 11);
    const uploadId = await uploadParts(longshore.ecr, repositoryName, layer.bytes, 512 * KiB);
    await expectRecordedChecksums(longshore, redis, uploadId);
    const local = e2eBackend() === 'filesystem';
    if (local) {
      // On local part files the three 512 KiB parts carry the boot mark, not a CRC32C: on the boot
      // that wrote them they are fsynced, not read back (the same as /v2's streamed parts), so a
      // byte changed on disk within that boot is not looked for. What a machine crash could have
      // changed is met by a completion after the reboot: the marks name another boot, and the
      // layer is re-hashed from the stored bytes against the digest carried as they arrived.
      expect(await markAsWrittenInAnotherBoot(longshore, redis, uploadId)).toBe(3);
    }
    await corruptStoredByte(longshore, redis, uploadId, 512 * KiB + 300 * KiB);
    const error = await complete(longshore, repositoryName, uploadId, layer.digest).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(InvalidLayerException);
    expect((error as Error).message).toMatch(
      local
        ? /stored layer does not match the digest computed as its parts arrived/
        : /does not match the checksum recorded when it arrived/,
    );
    const availability = await longshore.ecr.send(
      new BatchCheckLayerAvailabilityCommand({ repositoryName, layerDigests: [layer.digest] }),
    );
    expect(availability.failures?.[0]?.failureCode).toBe('MissingLayerDigest');
  });

  it('completes an intact layer whose large parts were marked by another boot (re-hashed, not refused)', async () => {
    const layer = randomLayer(3 * 512 * KiB + 13);
    const uploadId = await uploadParts(longshore.ecr, repositoryName, layer.bytes, 512 * KiB);
    const rewritten = await markAsWrittenInAnotherBoot(longshore, redis, uploadId);
    expect(rewritten).toBe(e2eBackend() === 'filesystem' ? 3 : 0);
    expect((await complete(longshore, repositoryName, uploadId, layer.digest)).layerDigest).toBe(layer.digest);
  });

  it('still reads part records written with a sha256 checksum: completes intact, refuses changed', async () => {
    const intact = randomLayer(2 * 512 * KiB + 5);
    const intactId = await uploadParts(longshore.ecr, repositoryName, intact.bytes, 512 * KiB);
    await rewriteAsSha256Records(longshore, redis, intactId, intact.bytes);
    expect((await complete(longshore, repositoryName, intactId, intact.digest)).layerDigest).toBe(intact.digest);

    const changed = randomLayer(2 * 512 * KiB + 5);
    const changedId = await uploadParts(longshore.ecr, repositoryName, changed.bytes, 512 * KiB);
    await rewriteAsSha256Records(longshore, redis, changedId, changed.bytes);
    await corruptStoredByte(longshore, redis, changedId, 700 * KiB);
    const error = await complete(longshore, repositoryName, changedId, changed.digest).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(InvalidLayerException);
    expect((error as Error).message).toMatch(/does not match the checksum recorded when it arrived/);
  });
});

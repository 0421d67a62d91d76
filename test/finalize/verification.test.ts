import { createHash } from 'node:crypto';
import {
  BatchCheckLayerAvailabilityCommand,
  CompleteLayerUploadCommand,
  CreateRepositoryCommand,
  InvalidLayerException,
} from '@aws-sdk/client-ecr';
import type { RedisClient } from '@longshore/queue';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startLongshore, type Longshore } from '../support/longshore-harness.js';
import { randomLayer, uploadParts } from '../support/layer-data.js';

const KiB = 1024;

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
 * Rewrites an upload's part records as records written before CRC32C held them: the part's
 * sha256 (hex) under the field `sha256`, no `checksum`.
 */
async function rewriteAsSha256Records(longshore: Longshore, redis: RedisClient, uploadId: string, layer: Uint8Array) {
  const key = longshore.keys.uploadParts(uploadId);
  const entries = await redis.lrange(key, 0, -1);
  for (const [index, entry] of entries.entries()) {
    const { checksum, ...part } = JSON.parse(entry) as { checksum: string; offset: number; length: number };
    expect(checksum).toMatch(/^crc32c:[0-9a-f]{8}$/);
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
    await corruptStoredByte(longshore, redis, uploadId, 512 * KiB + 300 * KiB);
    const error = await complete(longshore, repositoryName, uploadId, layer.digest).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(InvalidLayerException);
    expect((error as Error).message).toMatch(/does not match the checksum recorded when it arrived/);
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

import { createHash, randomBytes } from 'node:crypto';
import { readdir } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { createStores, type Stores } from './create-stores.js';
import type { LuaScript } from './keys.js';
import { testLimits } from './limits.test-fixture.js';

/** Redis Cluster's hash slot of a key (ioredis's own cluster-key-slot, which ships no types). */
const calculateSlot = createRequire(import.meta.url)('cluster-key-slot') as (key: string) => number;

const LIMITS = testLimits();

/** Every script in ./scripts, by the SHA-1 its EVALSHA names and by its text. */
async function loadScripts(): Promise<Map<string, string>> {
  const byDigest = new Map<string, string>();
  for (const file of await readdir(new URL('./scripts', import.meta.url))) {
    if (file.endsWith('.test.ts')) continue;
    const module = (await import(/* @vite-ignore */ new URL(`./scripts/${file}`, import.meta.url).href)) as Record<
      string,
      unknown
    >;
    for (const [name, value] of Object.entries(module)) {
      const script = value as Partial<LuaScript>;
      if (typeof script?.lua !== 'string' || typeof script.numberOfKeys !== 'number') continue;
      byDigest.set(createHash('sha1').update(script.lua).digest('hex'), name);
      byDigest.set(script.lua, name);
    }
  }
  return byDigest;
}

/**
 * Redis Cluster runs a script only when all its KEYS hash to one slot. Every script Longshore has
 * is run here, on a real Redis, through the stores that use it, with the keys the stores give it;
 * each call's KEYS must share one CRC16 slot. The prefix is untagged (`ls…`), as a single-Redis
 * deployment has it, so a key family that leans on the prefix for its slot fails here too.
 */
describe('every Lua script keeps its KEYS in one Redis Cluster slot', () => {
  const prefix = `ls${randomBytes(4).toString('hex')}`;
  const calls: { script: string; keys: string[] }[] = [];
  let scripts: Map<string, string>;
  let redis: Redis;
  let stores: Stores;

  beforeAll(async () => {
    scripts = await loadScripts();
    redis = new Redis(inject('redisUrl'));
    const record = (scriptOrSha: string, numberOfKeys: number, rest: unknown[]) => {
      const name = scripts.get(scriptOrSha) ?? `unknown script ${scriptOrSha.slice(0, 40)}`;
      calls.push({ script: name, keys: rest.slice(0, numberOfKeys).map(String) });
    };
    const recording = new Proxy(redis, {
      get(target, property, receiver) {
        const value = Reflect.get(target, property, receiver) as unknown;
        if ((property === 'evalsha' || property === 'eval') && typeof value === 'function') {
          return (script: string, numberOfKeys: number, ...rest: unknown[]) => {
            record(script, numberOfKeys, rest);
            return (value as (...args: unknown[]) => unknown).call(target, script, numberOfKeys, ...rest);
          };
        }
        return typeof value === 'function' ? value.bind(target) : value;
      },
    });
    stores = createStores(recording, prefix, LIMITS);
    await exerciseEveryScript(stores);
  });

  afterAll(async () => {
    redis.disconnect();
  });

  it('runs every script of ./scripts at least once', () => {
    const names = new Set([...scripts.values()]);
    expect(names.size).toBeGreaterThan(15);
    expect(new Set(calls.map((call) => call.script))).toEqual(names);
  });

  it('gives each call keys of one slot', () => {
    const crossing = calls.filter((call) => new Set(call.keys.map((key) => calculateSlot(key))).size > 1);
    expect(crossing).toEqual([]);
  });

  it('spreads the key families over several slots (not one tag for the whole deployment)', () => {
    const slots = new Set(calls.map((call) => calculateSlot(call.keys[0]!)));
    expect(slots.size).toBeGreaterThan(4);
  });
});

async function exerciseEveryScript(stores: Stores): Promise<void> {
  const registryId = '000000000000';
  const repositoryName = 'team/app';
  const repository = {
    repositoryName,
    registryId,
    createdAt: 0,
    imageTagMutability: 'MUTABLE' as const,
    imageScanningConfiguration: { scanOnPush: false },
    encryptionConfiguration: { encryptionType: 'AES256' },
  };
  await stores.repositories.create(repository);
  await stores.repositories.update({ ...repository, imageTagMutability: 'IMMUTABLE' });
  await stores.repositories.update(repository);

  // An upload from initiate to completed, with a part retried (release) and one checked.
  const upload = await stores.uploads.initiate(repositoryName, registryId);
  const ref = { uploadId: upload.uploadId, repositoryName, registryId };
  const first = await stores.uploads.claimPart(ref, 0, 3, 4);
  await stores.uploads.releaseClaim(ref, first);
  const claim = await stores.uploads.claimPart(ref, 0, 3, 4);
  const part = { offset: 0, length: 4, checksum: 'crc32c:00000000', partNumber: claim.partNumber, receipt: '' };
  await stores.uploads.commitPart(ref, claim, part, '');
  const digest = `sha256:${'a'.repeat(64)}`;
  await stores.uploads.beginCompletion(ref, { jobId: 'job', layerDigests: [digest] });
  // An upload whose last part comes with its completion (an OCI monolithic PUT).
  const whole = await stores.uploads.initiate(repositoryName, registryId);
  const wholeRef = { uploadId: whole.uploadId, repositoryName, registryId };
  const wholeClaim = await stores.uploads.claimPart(wholeRef, 0, 3, 4);
  await stores.uploads.commitLastPart(
    wholeRef,
    wholeClaim,
    { ...part, partNumber: wholeClaim.partNumber },
    '',
    { jobId: 'job-whole', layerDigests: [`sha256:${'9'.repeat(64)}`] },
    await stores.uploads.completionFacts(repositoryName, [`sha256:${'9'.repeat(64)}`]),
  );
  // Parts written without a claim: one committed on its own, one with its completion.
  const unclaimed = await stores.uploads.initiate(repositoryName, registryId);
  const unclaimedRef = { uploadId: unclaimed.uploadId, repositoryName, registryId };
  await stores.uploads.commitUnclaimedPart(unclaimedRef, 1, { ...part, partNumber: 1 }, '');
  await stores.uploads.commitUnclaimedLastPart(
    unclaimedRef,
    2,
    { ...part, offset: 4, partNumber: 2 },
    '',
    { jobId: 'job-unclaimed', layerDigests: [`sha256:${'8'.repeat(64)}`] },
    await stores.uploads.completionFacts(repositoryName, [`sha256:${'8'.repeat(64)}`]),
  );
  await stores.uploads.startFinalizing(upload.uploadId, 'job');
  await stores.blobs.claim(digest, 'location');
  await stores.layers.link(repositoryName, registryId, digest, { size: 4, uploadId: upload.uploadId, linkedAt: 0 });
  await stores.uploads.recordCompleted(upload.uploadId, digest, 4);

  // Uploads that end otherwise: aborted, discarded.
  const aborted = await stores.uploads.initiate(repositoryName, registryId);
  await stores.uploads.abort({ uploadId: aborted.uploadId, repositoryName, registryId });
  const discarded = await stores.uploads.initiate(repositoryName, registryId);
  await stores.uploads.discard(discarded.uploadId, { code: 'X', message: 'discarded' } as never);

  // Images: put, untag, delete.
  const image = `sha256:${'b'.repeat(64)}`;
  const record = {
    digest: image,
    mediaType: 'application/vnd.oci.image.manifest.v1+json',
    manifestSize: 2,
    imageSizeInBytes: 2,
    pushedAt: 0,
  };
  const put = { record, bytes: Buffer.from('{}'), rejectUnchanged: false, tagImmutable: false };
  await stores.images.put(repositoryName, { ...put, tag: 'v1' });
  await stores.images.untag(repositoryName, 'v1');
  await stores.images.put(repositoryName, { ...put, tag: 'v2' });
  await stores.images.deleteTag(repositoryName, 'v2');
  await stores.images.put(repositoryName, put);
  await stores.images.recordPull(repositoryName, image, 1_000, 300_000);
  await stores.images.delete(repositoryName, image, false);
  await stores.images.put(repositoryName, put);
  await stores.images.deleteMany(repositoryName, [image], true);

  // The garbage collector's steps on a digest: mark, unmark, mark again, sweep, forget; and retain.
  await stores.blobs.mark(digest, '1:a');
  await stores.blobs.unmark(digest, '1:a');
  await stores.blobs.retain(digest);
  await stores.blobs.mark(digest, '2:b');
  await stores.blobs.sweep(digest, '2:b');
  await stores.blobs.forget(digest, 'location');

  await stores.repositories.delete(repositoryName, registryId, true);
}

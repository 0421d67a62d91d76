import { randomBytes } from 'node:crypto';
import { RefusedError } from '@longshore/domain';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { createKeys } from './keys.js';
import { ImageStore } from './image-store.js';
import { LayerStore } from './layer-store.js';
import type { RepositoryRecord } from './repository-store.js';
import { RepositoryStore } from './repository-store.js';

function record(repositoryName: string): RepositoryRecord {
  return {
    repositoryName,
    registryId: '000000000000',
    createdAt: 0,
    imageTagMutability: 'MUTABLE',
    imageScanningConfiguration: { scanOnPush: false },
    encryptionConfiguration: { encryptionType: 'AES256' },
  };
}

/**
 * A real Redis connection whose first HEXISTS answer is held until `release()`: the creator using
 * it has seen the name free and is stopped right there, as a slow process would be.
 */
function heldAfterFirstHexists(redis: Redis): { connection: Redis; seen: Promise<void>; release: () => void } {
  let release!: () => void;
  let seenResolve!: () => void;
  const gate = new Promise<void>((resolve) => {
    release = resolve;
  });
  const seen = new Promise<void>((resolve) => {
    seenResolve = resolve;
  });
  let held = false;
  const connection = new Proxy(redis, {
    get(target, property, receiver) {
      const value = Reflect.get(target, property, receiver) as unknown;
      if (property === 'hexists' && typeof value === 'function' && !held) {
        return async (...args: unknown[]) => {
          held = true;
          const answer = await (value as (...a: unknown[]) => Promise<number>).apply(target, args);
          seenResolve();
          await gate;
          return answer;
        };
      }
      return typeof value === 'function' ? value.bind(target) : value;
    },
  });
  return { connection, seen, release };
}

describe('RepositoryStore.create', () => {
  const prefix = `ls${randomBytes(4).toString('hex')}`;
  let redis: Redis;
  beforeAll(() => {
    redis = new Redis(inject('redisUrl'));
  });
  afterAll(() => redis?.disconnect());

  it('two concurrent creates of one free name: one wins, and the loser drops nothing of what the winner stored', async () => {
    const keys = createKeys(prefix);
    const name = 'race/create';
    const slow = heldAfterFirstHexists(redis);
    const slowStore = new RepositoryStore(slow.connection, keys);
    const fastStore = new RepositoryStore(redis, keys);
    const layers = new LayerStore(redis, keys);

    // The slow creator sees the name free, then stalls.
    const slowCreate = slowStore.create(record(name)).then(
      () => 'created',
      (err: unknown) => err,
    );
    await slow.seen;
    // Meanwhile the other creator wins and content lands in the new repository.
    await fastStore.create(record(name));
    const digest = `sha256:${'c'.repeat(64)}`;
    await layers.link(name, '000000000000', digest, { size: 1, uploadId: 'u', linkedAt: 1 });

    slow.release();
    expect(await slowCreate).toMatchObject({ constructor: RefusedError, code: 'REPOSITORY_ALREADY_EXISTS' });
    expect(await layers.get(name, digest)).toEqual({ size: 1, uploadId: 'u', linkedAt: 1 });
  });

  it('still clears what a push that raced a delete left in the slot of a free name', async () => {
    const keys = createKeys(prefix);
    const name = 'race/leftover';
    const store = new RepositoryStore(redis, keys);
    const layers = new LayerStore(redis, keys);
    await store.create(record(name));
    await store.delete(name, '000000000000', true);
    // A link written after the delete cleared the slot, by a process that died before undoing it.
    const digest = `sha256:${'d'.repeat(64)}`;
    await redis.hset(keys.layers(name), digest, JSON.stringify({ size: 1, uploadId: 'gone', linkedAt: 1 }));

    await store.create(record(name));
    expect(await layers.get(name, digest)).toBeUndefined();
  });
});

describe('RepositoryStore.delete', () => {
  const prefix = `ls${randomBytes(4).toString('hex')}`;
  let redis: Redis;
  beforeAll(() => {
    redis = new Redis(inject('redisUrl'));
  });
  afterAll(() => redis?.disconnect());

  it("takes the images' recorded pull times with the repository: a namesake starts unpulled", async () => {
    const keys = createKeys(prefix);
    const name = 'gone/pulled';
    const store = new RepositoryStore(redis, keys);
    const images = new ImageStore(redis, keys);
    const digest = `sha256:${'e'.repeat(64)}`;
    const image = {
      record: {
        digest,
        mediaType: 'application/vnd.oci.image.manifest.v1+json',
        manifestSize: 2,
        imageSizeInBytes: 2,
        pushedAt: 1,
      },
      bytes: Buffer.from('{}'),
      tag: 'v1',
      rejectUnchanged: false,
      tagImmutable: false,
    };
    await store.create(record(name));
    await images.put(name, image);
    expect(await images.recordPull(name, digest, 5_000, 300_000)).toBe(true);

    await store.delete(name, '000000000000', true);
    expect(await redis.exists(keys.images(name).pulls)).toBe(0);
    await store.create(record(name));
    await images.put(name, image);
    expect(await images.pullTimes(name, [digest])).toEqual([undefined]);
  });
});

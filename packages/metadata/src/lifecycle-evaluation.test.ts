import { createHash, randomBytes } from 'node:crypto';
import { evaluateLifecyclePolicy, parseLifecyclePolicy, type LifecycleImage } from '@longshore/domain';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { ImageStore } from './image-store.js';
import { createKeys } from './keys.js';
import { lifecycleExpiries, lifecycleExpiryChunks } from './lifecycle-evaluation.js';
import { LifecycleStore } from './lifecycle-store.js';

const DAY = 86_400_000;
const NOW = Date.UTC(2026, 11, 5);
const expire = { type: 'expire' };

const POLICY = parseLifecyclePolicy(
  JSON.stringify({
    rules: [
      {
        rulePriority: 1,
        selection: {
          tagStatus: 'tagged',
          tagPrefixList: ['prod'],
          countType: 'sinceImagePulled',
          countUnit: 'days',
          countNumber: 10,
        },
        action: expire,
      },
      {
        rulePriority: 2,
        selection: {
          tagStatus: 'tagged',
          tagPatternList: ['build-*'],
          countType: 'imageCountMoreThan',
          countNumber: 7,
        },
        action: expire,
      },
      {
        rulePriority: 3,
        selection: { tagStatus: 'untagged', countType: 'sinceImagePushed', countUnit: 'days', countNumber: 20 },
        action: expire,
      },
      {
        rulePriority: 9,
        selection: { tagStatus: 'any', countType: 'imageCountMoreThan', countNumber: 5 },
        action: expire,
      },
    ],
  }),
);

/** Lifecycle evaluation streamed from the push-order index, chunk by chunk, on a real Redis. */
describe('lifecycle evaluation over the push-order index', () => {
  const keys = createKeys(`unit${randomBytes(4).toString('hex')}`);
  let redis: Redis;
  let stores: { images: ImageStore; lifecycle: LifecycleStore };
  let seq = 0;

  beforeAll(() => {
    redis = new Redis(inject('redisUrl'), { lazyConnect: false });
    stores = { images: new ImageStore(redis, keys), lifecycle: new LifecycleStore(redis, keys) };
  });
  afterAll(async () => {
    await redis.quit();
  });

  /** 80 images of every kind the policy's rules select, several pushed at the same millisecond. */
  async function seed(): Promise<{ name: string; images: LifecycleImage[] }> {
    const name = `lifecycle-${seq++}`;
    const images: LifecycleImage[] = [];
    for (let i = 0; i < 80; i += 1) {
      const digest = `sha256:${createHash('sha256').update(`${name}-${i}`).digest('hex')}`;
      const pushedAt = NOW - (i % 40) * DAY;
      const tags = i % 4 === 0 ? [] : i % 4 === 1 ? [`build-${i}`] : i % 4 === 2 ? [`prod-${i}`] : [`other-${i}`];
      const record = {
        digest,
        mediaType: 'application/vnd.oci.image.manifest.v1+json',
        manifestSize: 2,
        imageSizeInBytes: 2,
        pushedAt,
      };
      const put = { record, bytes: Buffer.from('{}'), rejectUnchanged: false, tagImmutable: false };
      await stores.images.put(name, put);
      for (const tag of tags) await stores.images.put(name, { ...put, tag });
      let lastPulledAt: number | undefined;
      if (i % 8 === 2) {
        lastPulledAt = NOW - (i % 16) * DAY;
        await stores.images.recordPull(name, digest, lastPulledAt, 0);
      }
      images.push({ digest, tags, pushedAt, ...(lastPulledAt !== undefined ? { lastPulledAt } : {}) });
    }
    return { name, images };
  }

  it('expires, chunk by chunk, exactly what evaluating every image at once expires', async () => {
    const { name, images } = await seed();
    const whole = evaluateLifecyclePolicy(POLICY, images, NOW);
    expect(new Set(whole.map((e) => e.appliedRulePriority))).toEqual(new Set([1, 2, 3, 9]));

    const chunks: number[] = [];
    const streamed: string[] = [];
    for await (const expiries of lifecycleExpiryChunks(stores, name, POLICY, NOW, 7)) {
      expect(expiries.length).toBeLessThanOrEqual(7);
      chunks.push(expiries.length);
      streamed.push(...expiries.map((e) => `${e.image.digest}@${e.appliedRulePriority}`));
    }
    expect(chunks.length).toBeGreaterThan(3);
    expect(streamed.sort()).toEqual(whole.map((e) => `${e.image.digest}@${e.appliedRulePriority}`).sort());
    // The preview's list: the same images in the same order (rule order, then newest first), with their tags.
    expect(await lifecycleExpiries(stores, name, POLICY, NOW)).toEqual(whole);
  });

  it('deleting each chunk as it comes expires the same images as a dry run', async () => {
    const { name, images } = await seed();
    const expected = evaluateLifecyclePolicy(POLICY, images, NOW).map((e) => e.image.digest);
    const deleted: string[] = [];
    for await (const expiries of lifecycleExpiryChunks(stores, name, POLICY, NOW, 6)) {
      for (const { image } of expiries) {
        expect((await stores.images.delete(name, image.digest, true)).kind).toBe('deleted');
        deleted.push(image.digest);
      }
    }
    expect(deleted.sort()).toEqual([...expected].sort());
    expect(await stores.images.count(name)).toBe(images.length - expected.length);
  });
});

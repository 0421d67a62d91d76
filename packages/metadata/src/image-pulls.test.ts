import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { ImageStore } from './image-store.js';
import { createKeys } from './keys.js';

describe('ImageStore recorded pulls on a real Redis', () => {
  const prefix = `pulls${Math.random().toString(36).slice(2, 8)}`;
  const digest = `sha256:${'a'.repeat(64)}`;
  let redis: Redis;
  let images: ImageStore;
  beforeAll(() => {
    redis = new Redis(inject('redisUrl'));
    images = new ImageStore(redis, createKeys(prefix));
  });
  afterAll(async () => {
    await redis.quit();
  });

  it('records a pull at most once per interval, and reads the times of a list of digests', async () => {
    expect(await images.recordPull('team/app', digest, 1_000, 300_000)).toBe(true);
    expect(await images.recordPull('team/app', digest, 2_000, 300_000)).toBe(false);
    expect(await images.pullTimes('team/app', [digest, 'sha256:other'])).toEqual([1_000, undefined]);
    expect(await images.recordPull('team/app', digest, 301_000, 300_000)).toBe(true);
    expect(await images.pullTimes('team/app', [digest])).toEqual([301_000]);
    // Another repository's image of the same digest has its own time.
    expect(await images.pullTimes('team/other', [digest])).toEqual([undefined]);
    expect(await images.pullTimes('team/app', [])).toEqual([]);
  });

  it("forgets a deleted image's pull time", async () => {
    const record = {
      digest,
      mediaType: 'application/vnd.oci.image.manifest.v1+json',
      manifestSize: 2,
      imageSizeInBytes: 2,
      pushedAt: 1,
    };
    await images.put('team/gone', { record, bytes: Buffer.from('{}'), rejectUnchanged: false, tagImmutable: false });
    await images.recordPull('team/gone', digest, 5_000, 300_000);
    expect(await images.pullTimes('team/gone', [digest])).toEqual([5_000]);
    expect((await images.delete('team/gone', digest, true)).kind).toBe('deleted');
    expect(await images.pullTimes('team/gone', [digest])).toEqual([undefined]);
  });
});

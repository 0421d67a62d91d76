import type { RedisClient } from '@longshore/queue';
import { expect, vi } from 'vitest';

/**
 * Waits (on a condition, not a clock) until a part upload holds the upload's claim; returns its
 * token. `uploadKey`: the upload's record key (`longshore.keys.upload(uploadId)`).
 */
export async function claimTaken(redis: RedisClient, uploadKey: string): Promise<string> {
  let token: string | null = null;
  await vi.waitFor(
    async () => {
      token = await redis.hget(uploadKey, 'claimToken');
      expect(token).toBeTruthy();
    },
    { timeout: 10_000, interval: 20 },
  );
  return token!;
}

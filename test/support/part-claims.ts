import type { Redis } from 'ioredis';
import { expect, vi } from 'vitest';
import { createKeys } from '@longshore/metadata';

/** Waits (on a condition, not a clock) until a part upload holds the upload's claim; returns its token. */
export async function claimTaken(redis: Redis, prefix: string, uploadId: string): Promise<string> {
  let token: string | null = null;
  await vi.waitFor(
    async () => {
      token = await redis.hget(createKeys(prefix).upload(uploadId), 'claimToken');
      expect(token).toBeTruthy();
    },
    { timeout: 10_000, interval: 20 },
  );
  return token!;
}

import { randomBytes } from 'node:crypto';
import type { Cluster, Redis } from 'ioredis';

/** A secret every replica agrees on without configuration: the first to ask creates it. */
export async function sharedSecret(redis: Redis | Cluster, key: string): Promise<string> {
  await redis.set(key, randomBytes(32).toString('base64url'), 'NX');
  const secret = await redis.get(key);
  if (!secret) throw new Error(`shared secret ${key} vanished`);
  return secret;
}

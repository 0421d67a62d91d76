import type { Cluster, Redis } from 'ioredis';
import type { CredentialSet } from './credential-set.js';

/** Where a login token learns the generation its key is in now. */
export interface KeyGenerationSource {
  current(accessKeyId: string): Promise<number>;
}

/** Every key is in generation 0 (AUTH=off, unit tests). */
export const firstGeneration: KeyGenerationSource = { current: async () => 0 };

/**
 * Compares the keys as configured now with the fingerprints recorded in one hash, in one step:
 * a key whose fingerprint changed, or that is no longer configured, moves to its next generation.
 * Fields: `fp:<id>` (the secret's fingerprint, or `removed`) and `gen:<id>` (the generation).
 * Idempotent, so every replica may run it after every reload.
 */
const RECONCILE = `
local hash = KEYS[1]
local present = {}
for i = 1, #ARGV, 2 do
  local id, fp = ARGV[i], ARGV[i + 1]
  present[id] = true
  local recorded = redis.call('HGET', hash, 'fp:' .. id)
  if recorded ~= fp then
    if recorded then redis.call('HINCRBY', hash, 'gen:' .. id, 1) end
    redis.call('HSET', hash, 'fp:' .. id, fp)
  end
end
local fields = redis.call('HGETALL', hash)
for i = 1, #fields, 2 do
  local field, value = fields[i], fields[i + 1]
  if string.sub(field, 1, 3) == 'fp:' and value ~= 'removed' then
    local id = string.sub(field, 4)
    if not present[id] then
      redis.call('HINCRBY', hash, 'gen:' .. id, 1)
      redis.call('HSET', hash, field, 'removed')
    end
  end
end
return 1
`;

/**
 * Key generations, shared by every replica through Redis: a key moves to its next generation
 * when it is removed from the configuration or its secret changes. Login tokens carry the
 * generation they were issued in, so a token never outlives its key, even when the same key is
 * put back later.
 */
export class KeyGenerations implements KeyGenerationSource {
  constructor(
    private readonly redis: Redis | Cluster,
    /** One HASH (a singleton key: one slot). */
    private readonly hashKey: string,
  ) {}

  /** Records the keys as configured now: removed and changed keys move to their next generation. */
  async reconcile(credentials: CredentialSet): Promise<void> {
    const args = credentials.all().flatMap((key) => [key.accessKeyId, key.secretFingerprint]);
    await this.redis.eval(RECONCILE, 1, this.hashKey, ...args);
  }

  async current(accessKeyId: string): Promise<number> {
    return Number((await this.redis.hget(this.hashKey, `gen:${accessKeyId}`)) ?? 0);
  }
}

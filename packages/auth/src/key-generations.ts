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
return redis.call('HGETALL', hash)
`;

/**
 * Key generations, shared by every replica through Redis: a key moves to its next generation
 * when it is removed from the configuration or its secret changes. Login tokens carry the
 * generation they were issued in, so a token never outlives its key, even when the same key is
 * put back later.
 *
 * Requests read the generations from an in-memory snapshot, not from Redis: it is taken by each
 * reconcile (the script answers the hash as it left it) and by `refresh()`, which the API runs
 * on the credentials file's watch interval, so another replica's revocation takes effect here
 * as soon as this replica would notice the file change itself. While a reconcile is under way,
 * readers wait for its result. Before any snapshot exists, each read goes to Redis.
 */
export class KeyGenerations implements KeyGenerationSource {
  private snapshot: ReadonlyMap<string, number> | undefined;
  private reconciling: Promise<void> | undefined;
  /** Reads are numbered as they are sent; a snapshot older than the one in force is dropped. */
  private sent = 0;
  private applied = 0;

  constructor(
    private readonly redis: Redis | Cluster,
    /** One HASH (a singleton key: one slot). */
    private readonly hashKey: string,
  ) {}

  /** Records the keys as configured now: removed and changed keys move to their next generation. */
  reconcile(credentials: CredentialSet): Promise<void> {
    const args = credentials.all().flatMap((key) => [key.accessKeyId, key.secretFingerprint]);
    const read = ++this.sent;
    const done = (this.redis.eval(RECONCILE, 1, this.hashKey, ...args) as Promise<string[]>)
      .then((fields) => this.apply(read, fields))
      .finally(() => {
        if (this.reconciling === done) this.reconciling = undefined;
      });
    this.reconciling = done;
    return done;
  }

  /** Takes a new snapshot of every key's generation (another replica may have moved one). */
  async refresh(): Promise<void> {
    const read = ++this.sent;
    const hash = await this.redis.hgetall(this.hashKey);
    this.apply(read, Object.entries(hash).flat());
  }

  async current(accessKeyId: string): Promise<number> {
    if (this.reconciling) await this.reconciling.catch(() => undefined);
    if (this.snapshot) return this.snapshot.get(accessKeyId) ?? 0;
    return Number((await this.redis.hget(this.hashKey, `gen:${accessKeyId}`)) ?? 0);
  }

  private apply(read: number, fields: string[]): void {
    if (read < this.applied) return;
    const generations = new Map<string, number>();
    for (let i = 0; i + 1 < fields.length; i += 2) {
      if (fields[i]!.startsWith('gen:')) generations.set(fields[i]!.slice(4), Number(fields[i + 1]));
    }
    this.snapshot = generations;
    this.applied = read;
  }
}

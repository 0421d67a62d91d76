import { createHash } from 'node:crypto';
import { type Cluster, type Redis, ReplyError } from 'ioredis';

/**
 * The Redis key layout, in one place. Everything Longshore stores lives under one prefix, which
 * the BullMQ queue shares, so one Redis can serve several deployments side by side.
 *
 * Each family of keys that one script (or MULTI) uses together carries its own Redis Cluster hash
 * tag, so a cluster spreads the deployment over all its slots while no operation crosses two:
 * `{upload:<id>}` (an upload's record, parts, checked parts), `{repo:<name>}` (a repository's
 * layer links and image keys), `{blob:<digest>}` (a digest's index entry and GC mark). The
 * singletons (repositories, workers, secrets) are one key each. A cluster prefix arrives
 * hash-tagged (`{longshore}`, for BullMQ); its braces are dropped here, or every key would hash
 * to that one tag.
 */
export interface Keys {
  /** HASH repositoryName → repository JSON */
  repositories: string;
  /** HASH layerDigest → link JSON ({ size, uploadId, linkedAt }) */
  layers(repositoryName: string): string;
  /** STRING, in the repository's slot: a create claimed the slot since the name was last deleted */
  repositoryClaim(repositoryName: string): string;
  /** HASH: the upload's life, from initiate to its final status (see UploadRecord in upload-record.ts) */
  upload(uploadId: string): string;
  /** STRING: where the blob of a digest is stored (a storage BlobLocation); one key per digest */
  blob(digest: string): string;
  /** STRING: the garbage collector's mark on a digest ("<epoch ms>:<random>"); same slot as `blob` */
  blobMark(digest: string): string;
  /** LIST of part records (JSON: offset, length, sha256, partNumber, receipt), in order */
  uploadParts(uploadId: string): string;
  /** SET of "ok:<partNumber>" / "bad:<partNumber>": parts already checked against their checksum */
  uploadVerifiedParts(uploadId: string): string;
  /** Pub/sub channel announcing each status change of one upload */
  uploadEvents(uploadId: string): string;
  /** ZSET workerId → last heartbeat (ms): which worker processes are consuming the queue */
  workers: string;
  /** ZSET process id → last heartbeat (ms): which API processes are serving (the console's Operations page) */
  apiProcesses: string;
  /** STRING: the secret that signs download URLs, shared by every API replica */
  urlSigningSecret: string;
  /** STRING: the secret that signs registry login tokens, shared by every API replica */
  authTokenSecret: string;
  /**
   * Prefix of the auth rate-limit counters (failed authentications, key quotas): each counter
   * key adds its own hash tag (`{<source>|<key id>}`, `{<key id>}`) so they spread over a cluster.
   */
  authLimits: string;
  /** HASH `fp:<key id>` → secret fingerprint, `gen:<key id>` → generation (login tokens die with their generation) */
  keyGenerations: string;
  /** SCAN pattern matching every upload hash (not its parts or checked-parts keys) */
  uploadPattern: string;
  /** The upload id of a key matched by `uploadPattern` */
  uploadIdOf(uploadKey: string): string;
  /** SCAN pattern matching every blob index entry (not the GC marks) */
  blobPattern: string;
  /** The digest of a key matched by `blobPattern` */
  digestOf(blobKey: string): string;
  /** One repository's image keys, all under the hash tag `{repo:<name>}` (see ImageKeys below) */
  images(repositoryName: string): ImageKeys;
  /** One repository's lifecycle keys, under its hash tag `{repo:<name>}` (see lifecycle-store.ts) */
  lifecycle(repositoryName: string): LifecycleKeys;
  /** SET of the names of the repositories that have a lifecycle policy */
  lifecycleRepositories: string;
  /**
   * HASH token → JSON { at, digests }: the blobs of manifest pushes under way (BlobReferences.pin),
   * which the garbage collector keeps
   */
  blobPins: string;
  /** STRING (integer): bytes of the blobs indexed, added when a digest is first claimed, taken off when GC deletes it */
  storedBlobBytes: string;
  /** HASH ecrRepositoryPrefix → pull-through cache rule JSON (mirrored to the storage) */
  pullThroughRules: string;
}

export interface LifecycleKeys {
  /** HASH: `policy` (the text as put), `lastEvaluatedAt` (epoch ms) */
  policy: string;
  /** STRING: the last preview's JSON (status, policy text, results) */
  preview: string;
  /** STRING with a TTL while a preview runs (a second StartLifecyclePolicyPreview is refused) */
  previewRunning: string;
  /** STRING: a random token while one evaluation of the repository runs (with a TTL) */
  evaluationLock: string;
}

export function createKeys(queuePrefix: string): Keys {
  const prefix = untaggedPrefix(queuePrefix);
  const upload = (id: string) => `${prefix}:{upload:${id}}`;
  const blob = (digest: string) => `${prefix}:{blob:${digest}}`;
  const uploadStart = upload('').length - 1;
  const blobStart = blob('').length - 1;
  return {
    repositories: `${prefix}:repositories`,
    layers: (name) => `${repositoryKeyBase(prefix, name)}:layers`,
    repositoryClaim: (name) => `${repositoryKeyBase(prefix, name)}:claimed`,
    blob,
    blobMark: (digest) => sameSlotKey(blob(digest), 'gc'),
    upload,
    uploadParts: (id) => `${upload(id)}:parts`,
    uploadVerifiedParts: (id) => `${upload(id)}:verified`,
    uploadEvents: (id) => `${prefix}:events:${id}`,
    workers: `${prefix}:workers`,
    apiProcesses: `${prefix}:api-processes`,
    urlSigningSecret: `${prefix}:url-signing-secret`,
    authTokenSecret: `${prefix}:auth-token-secret`,
    authLimits: `${prefix}:auth`,
    keyGenerations: `${prefix}:key-generations`,
    uploadPattern: `${upload('').slice(0, -1)}*}`,
    uploadIdOf: (key) => key.slice(uploadStart, -1),
    blobPattern: `${blob('').slice(0, -1)}*}`,
    digestOf: (key) => key.slice(blobStart, -1),
    images: (name) => createImageKeys(prefix, name),
    lifecycle: (name) => {
      const base = repositoryKeyBase(prefix, name);
      return {
        policy: `${base}:lifecycle`,
        preview: `${base}:lifecycle-preview`,
        previewRunning: `${base}:lifecycle-preview-running`,
        evaluationLock: `${base}:lifecycle-lock`,
      };
    },
    lifecycleRepositories: `${prefix}:lifecycle-repositories`,
    storedBlobBytes: `${prefix}:stored-blob-bytes`,
    pullThroughRules: `${prefix}:pull-through-rules`,
    blobPins: `${prefix}:blob-pins`,
  };
}

/**
 * The Redis keys of one repository's images. All share the hash tag `{repo:<name>}`, so every
 * script over one repository's images runs on one Redis Cluster slot, and no script touches
 * two repositories.
 */
export interface ImageKeys {
  /** HASH digest → image record JSON (see image-record.ts); written once per push */
  images: string;
  /** HASH digest → the manifest's exact bytes */
  manifests: string;
  /** HASH tag → digest */
  tags: string;
  /** ZSET of tags, all scored 0: lexically ordered, for tag listing with `last`/`n` */
  tagNames: string;
  /** HASH digest → the image's tags, space-separated (tags cannot contain spaces) */
  imageTags: string;
  /** HASH child digest → how many indexes in the repository list it */
  parents: string;
  /** ZSET of "<subject digest> <referrer digest>", all scored 0: the referrers index */
  referrers: string;
  /**
   * HASH digest → epoch ms of the image's last recorded manifest pull (DescribeImages
   * `lastRecordedPullTime`, lifecycle `sinceImagePulled`). Not one of imageKeyList's keys: a
   * pull time is written apart from them (ImageStore.recordPull); deleteImages (a batch of
   * deletes) and DeleteRepository's scripts take it as an extra key.
   */
  pulls: string;
  /** ZSET of "<digest> <tag>", one per tag, all scored 0: ListImages' tagged entries in its order */
  tagEntries: string;
  /** ZSET of the digests of tagged images, all scored 0: DescribeImages' tagged images in digest order */
  taggedDigests: string;
  /** ZSET of the digests of untagged images, all scored 0: the untagged images in digest order */
  untaggedDigests: string;
  /**
   * ZSET of "<push order> <digest>" (see pushOrderMember), all scored 0: every image, newest
   * push first, ties by digest: the order lifecycle evaluation considers images in
   */
  pushOrder: string;
}

/** The prefix without the braces a cluster config wraps it in (`{longshore}` → `longshore`). */
export function untaggedPrefix(prefix: string): string {
  return prefix.replace(/^\{(.*)\}$/, '$1');
}

/** Where every key of one repository starts: its hash tag `{repo:<name>}` under the prefix. */
export function repositoryKeyBase(prefix: string, repositoryName: string): string {
  return `${untaggedPrefix(prefix)}:{repo:${repositoryName}}`;
}

export function createImageKeys(prefix: string, repositoryName: string): ImageKeys {
  const base = repositoryKeyBase(prefix, repositoryName);
  return {
    images: `${base}:images`,
    manifests: `${base}:manifests`,
    tags: `${base}:tags`,
    tagNames: `${base}:tag-names`,
    imageTags: `${base}:image-tags`,
    parents: `${base}:parents`,
    referrers: `${base}:referrers`,
    pulls: `${base}:pulls`,
    tagEntries: `${base}:tag-entries`,
    taggedDigests: `${base}:tagged`,
    untaggedDigests: `${base}:untagged`,
    pushOrder: `${base}:push-order`,
  };
}

/** The keys in the order every image script takes them as KEYS[1..IMAGE_KEY_COUNT]. */
export function imageKeyList(keys: ImageKeys): string[] {
  return [
    keys.images,
    keys.manifests,
    keys.tags,
    keys.tagNames,
    keys.imageTags,
    keys.parents,
    keys.referrers,
    keys.tagEntries,
    keys.taggedDigests,
    keys.untaggedDigests,
    keys.pushOrder,
  ];
}

/** How many keys imageKeyList gives (every image script's numberOfKeys). */
export const IMAGE_KEY_COUNT = 11;

/** Push times are stored as `PUSH_ORDER_BASE - pushedAt`, so newer sorts first. */
const PUSH_ORDER_BASE = 1e15;
const PUSH_ORDER_WIDTH = 16;

/**
 * An image's member of the push-order ZSET: its push time counted down from PUSH_ORDER_BASE,
 * zero-padded to 16 digits, a space, its digest. Lexical order is then newest first, ties by
 * digest, and a member is a cursor ZRANGEBYLEX can resume after. The Lua scripts build the
 * same string (pushOrderLua in scripts/image-tags-lua.ts).
 */
export function pushOrderMember(digest: string, pushedAt: number): string {
  // Truncated as Lua's %d truncates: the scripts and the rebuild write the same member.
  return `${String(Math.trunc(PUSH_ORDER_BASE - pushedAt)).padStart(PUSH_ORDER_WIDTH, '0')} ${digest}`;
}

/** The digest and push time a push-order member holds. */
export function parsePushOrderMember(member: string): { digest: string; pushedAt: number } {
  const space = member.indexOf(' ');
  return { digest: member.slice(space + 1), pushedAt: PUSH_ORDER_BASE - Number(member.slice(0, space)) };
}

/**
 * A key that Redis Cluster places in the same hash slot as `key`, so one script may use both.
 * When `key` has a hash tag (`{…}` with something inside), the slot is the tag's, and appending
 * keeps it; otherwise the slot is the whole key's, and wrapping it in a tag keeps that.
 */
export function sameSlotKey(key: string, suffix: string): string {
  const open = key.indexOf('{');
  const close = open >= 0 ? key.indexOf('}', open + 1) : -1;
  const tagged = open >= 0 && close > open + 1;
  return tagged ? `${key}:${suffix}` : `{${key}}:${suffix}`;
}

/** A Lua script over keys of one slot (each script's header names its KEYS and why they share a tag). */
export interface LuaScript {
  numberOfKeys: number;
  lua: string;
}

const shas = new WeakMap<LuaScript, string>();

/**
 * Runs a script by its SHA (one round trip), sending its body when a Redis answers NOSCRIPT (first
 * use on that node, a restart, a failover). Not ioredis's `defineCommand`: on a connection with
 * `enableAutoPipelining`, a command defined after the turn's pipeline was made is missing from
 * it, and the batch's replies come back one short ("results[i] is not iterable").
 */
export async function runScript<T = unknown>(
  redis: Redis | Cluster,
  script: LuaScript,
  keys: string[],
  args: (string | number | Buffer)[],
): Promise<T> {
  const sent = redis.evalsha(shaOf(script, keys), keys.length, ...keys, ...args);
  try {
    return (await sent) as T;
  } catch (err) {
    return (await sendBody(err, redis, script, keys, args)) as T;
  }
}

/**
 * runScript, calling `then` right after the script is sent (by SHA): a command `then` sends on
 * the same connection reaches Redis behind it. Answers whether the script ran as sent (`inOrder`)
 * or was sent again after NOSCRIPT, and so ran behind whatever `then` sent.
 */
export async function runScriptThen<T = unknown>(
  redis: Redis | Cluster,
  script: LuaScript,
  keys: string[],
  args: (string | number | Buffer)[],
  then: () => void,
): Promise<{ answer: T; inOrder: boolean }> {
  const sent = redis.evalsha(shaOf(script, keys), keys.length, ...keys, ...args);
  then();
  try {
    return { answer: (await sent) as T, inOrder: true };
  } catch (err) {
    return { answer: (await sendBody(err, redis, script, keys, args)) as T, inOrder: false };
  }
}

/** The script's SHA (computed once per script), after checking it is given the keys it declares. */
function shaOf(script: LuaScript, keys: string[]): string {
  if (keys.length !== script.numberOfKeys) {
    throw new Error(`script expects ${script.numberOfKeys} keys, got ${keys.length}`);
  }
  let sha = shas.get(script);
  if (!sha) {
    sha = createHash('sha1').update(script.lua).digest('hex');
    shas.set(script, sha);
  }
  return sha;
}

/** After `err` answered a script sent by its SHA: its body sent when that was NOSCRIPT, else `err` thrown. */
function sendBody(
  err: unknown,
  redis: Redis | Cluster,
  script: LuaScript,
  keys: string[],
  args: (string | number | Buffer)[],
): Promise<unknown> {
  if (redisErrorPrefix(err) !== 'NOSCRIPT') throw err;
  return redis.eval(script.lua, keys.length, ...keys, ...args);
}

/**
 * The error kind of a Redis error reply: RESP defines it as the reply's first word, up to the
 * first space (`NOSCRIPT`, `MOVED`, `WRONGTYPE`, …), a code for programs to branch on (the rest is
 * wording). ioredis hands the reply over as the error's message, so the code is read from there.
 */
export function redisErrorPrefix(err: unknown): string | undefined {
  if (!(err instanceof ReplyError) || !(err instanceof Error)) return undefined;
  const { message } = err;
  const space = message.indexOf(' ');
  return space < 0 ? message : message.slice(0, space);
}

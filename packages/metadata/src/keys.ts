import { sameSlotKey } from './same-slot-key.js';
import { createImageKeys, repositoryKeyBase, untaggedPrefix, type ImageKeys } from './image-keys.js';

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
  /** HASH: the upload's life, from initiate to its final status (see upload-record.ts) */
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
  /** One repository's image keys, all under the hash tag `{repo:<name>}` (see image-keys.ts) */
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

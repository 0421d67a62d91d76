import { sameSlotKey } from './same-slot-key.js';
import { createImageKeys, type ImageKeys } from './image-keys.js';

/**
 * The Redis key layout, in one place. Everything Longshore stores lives under one prefix, which
 * the BullMQ queue shares, so one Redis can serve several deployments side by side.
 */
export interface Keys {
  /** HASH repositoryName → repository JSON */
  repositories: string;
  /** HASH layerDigest → link JSON ({ size, uploadId, linkedAt }) */
  layers(repositoryName: string): string;
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
  /** One repository's image keys, all under the hash tag `{repo:<name>}` (see image-keys.ts) */
  images(repositoryName: string): ImageKeys;
}

export function createKeys(prefix: string): Keys {
  return {
    repositories: `${prefix}:repositories`,
    layers: (name) => `${prefix}:layers:${name}`,
    blob: (digest) => `${prefix}:blob:${digest}`,
    blobMark: (digest) => sameSlotKey(`${prefix}:blob:${digest}`, 'gc'),
    upload: (id) => `${prefix}:upload:${id}`,
    uploadParts: (id) => `${prefix}:upload:${id}:parts`,
    uploadVerifiedParts: (id) => `${prefix}:upload:${id}:verified`,
    uploadEvents: (id) => `${prefix}:events:${id}`,
    workers: `${prefix}:workers`,
    urlSigningSecret: `${prefix}:url-signing-secret`,
    authTokenSecret: `${prefix}:auth-token-secret`,
    images: (name) => createImageKeys(prefix, name),
  };
}

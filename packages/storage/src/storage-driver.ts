import type { Readable } from 'node:stream';
import { resolve, sep } from 'node:path';
import { InvalidPathError } from './errors.js';

/** An inclusive byte range, as in an HTTP `Range: bytes=start-end` header. */
export interface ByteRange {
  start: number;
  end: number;
}

export interface ObjectInfo {
  size: number;
  modifiedAt: Date;
}

/**
 * One upload's storage session: made by `createUpload`, stored with the upload's record (it is
 * plain JSON) and passed back, by any process, on every later call for that upload.
 */
export interface UploadSession {
  /** The Longshore upload id (a UUID) this session belongs to. */
  uploadId: string;
  /**
   * Driver-owned state, opaque to callers: e.g. the S3 object key and multipart upload id.
   * The filesystem driver needs none ({}).
   */
  state: Record<string, string>;
}

/**
 * The smallest and largest part numbers a caller may use (S3's range). Every part claim gets a
 * number of its own, never reused within the session, and later claims get larger numbers, so the
 * committed parts of a session are always in ascending order.
 */
export const MIN_PART_NUMBER = 1;
export const MAX_PART_NUMBER = 10_000;

/** What `writePart` stored: handed back to `completeUpload` for the parts that were committed. */
export interface WrittenPart {
  partNumber: number;
  /** Bytes written. */
  size: number;
  /** Driver-owned receipt of the stored part, opaque to callers (S3: its ETag); '' if none. */
  receipt: string;
  /**
   * Already on disk: flushed (fsync) since it was written, by the background check of the part.
   * completeUpload need not flush it again. Absent: not known to be.
   */
  durable?: boolean;
}

/**
 * Server-side encryption for what is written (a repository's `encryptionConfiguration`), in S3's
 * terms: `AES256` (S3-managed keys), `aws:kms` / `aws:kms:dsse` with an optional KMS key id.
 * Drivers that cannot encrypt at rest ignore it (the filesystem; KMS is refused before that).
 */
export interface ObjectEncryption {
  serverSideEncryption: 'AES256' | 'aws:kms' | 'aws:kms:dsse';
  kmsKeyId?: string;
}

/** Options of the calls that create stored objects. */
export interface WriteOptions {
  encryption?: ObjectEncryption | undefined;
}

/** Where a published blob lives. Opaque to callers; store it, pass it back to the blob methods. */
export type BlobLocation = string;

export interface UploadListing {
  session: UploadSession;
  /** When the session last changed (the filesystem) or started (S3): the purge's grace clock. */
  modifiedAt: Date;
}

/**
 * The storage port every backend implements: a core of three groups every driver has, plus
 * optional capabilities a driver offers when its store allows them.
 *
 * - **upload sessions** (`UploadSessions`) take parts and then complete into a blob. A part is
 *   written once, under a number no other write uses, so a writer that lost its claim can only
 *   ever touch its own part, which is never published unless committed. This maps onto S3
 *   multipart uploads (a part number per claim) and onto part files on a filesystem;
 * - **blobs** (`Blobs`), immutable once published, read and deleted by their location;
 * - **small objects** (`SmallObjects`: probes, repository records) put and read whole, by
 *   logical path.
 *
 * Capabilities: `localParts` (parts are local files: threads write and hash them directly; the
 * filesystem driver) and `blobUrl` (the store serves blobs itself; S3).
 *
 * Logical paths (small objects) are relative and '/'-separated; every segment matches
 * /^[A-Za-z0-9][A-Za-z0-9._-]*$/ (see `validateLogicalPath`). Every method that takes one rejects
 * an invalid path with InvalidPathError before touching storage. Offsets, truncation and renames
 * are not part of the port: a driver may use them inside, a caller never sees them.
 *
 * The behaviour of every method is pinned by one conformance suite (conformance.ts).
 */
export interface StorageDriver extends UploadSessions, Blobs, SmallObjects {
  readonly name: string;
  /** Present when parts are local files (the filesystem driver); absent for remote stores (S3). */
  readonly localParts?: LocalParts;
  /**
   * Only drivers whose store serves blobs itself (S3: a presigned GET): a URL that serves the
   * blob to anyone holding it for `expiresInSeconds`, for redirecting downloads
   * (S3_REDIRECT_DOWNLOADS). Absent: downloads stream through Longshore.
   */
  blobUrl?(location: BlobLocation, expiresInSeconds: number): Promise<string>;
  /**
   * Only local drivers (the filesystem): publishes a small blob whose bytes are in memory (read
   * from the session's committed parts and verified) as the blob of `digest`, in one go: its
   * bytes and entries are durable when this resolves. `partNumber`, when given, is the one
   * committed part the bytes are, whole: the driver may publish that part's file itself (it is
   * then no longer a part of the session; a re-run finds the blob published). Other parts stay
   * where they are, for `abortUpload`. `beforeVisible`, when given, is waited for just before the
   * blob becomes visible (with the writes and fsyncs already done), and nothing of the session
   * has moved before it. Answers the blob's location, which is also where a blob of the digest
   * already published is.
   */
  publishBytes?(
    session: UploadSession,
    bytes: readonly Uint8Array[],
    digest: string,
    beforeVisible?: Promise<unknown>,
    partNumber?: number,
  ): Promise<BlobLocation>;
}

/**
 * The local-parts capability: each part of a session is a file of its own on this machine, so a
 * hash thread can write a whole part into it (`writePartFileSync` from
 * `@longshore/storage/local-part-file`, created exclusively) and read parts back directly.
 */
export type { StagedPartFile } from './staged-part-file.js';
import type { StagedPartFile } from './staged-part-file.js';

export interface LocalParts {
  /** The absolute file part `partNumber` of a session lives in (RangeError outside 1..10000). */
  partPath(session: UploadSession, partNumber: number): string;
  /**
   * Flushes a part file to disk (fdatasync, on libuv's pool); false when it is gone (published
   * or aborted meanwhile).
   */
  flushPart(session: UploadSession, partNumber: number): Promise<boolean>;
  /**
   * Removes a part file its writer created and no commit names (a part written without a claim
   * whose commit was refused); nothing when it is gone already.
   */
  removePart(session: UploadSession, partNumber: number): Promise<void>;
  /**
   * A new file a part's bytes can be written into before the claim that names the part exists
   * (the ECR door writes a part as its body is decoded); `adopt(partPath(...))` then makes it
   * the part's file. Absent where parts are not plain files of one file system.
   */
  stagePart?(): Promise<StagedPartFile>;
}

/** Upload sessions: parts in, one blob out. */
export interface UploadSessions {
  /**
   * Starts the storage session of upload `uploadId` (a UUID; InvalidPathError otherwise).
   * Called once per upload, at initiate; the session is then stored with the upload's record.
   * `options.encryption` applies to every object of the session (parts, staged and published
   * blob): the session carries it, so whichever process completes the upload uses it too.
   */
  createUpload(uploadId: string, options?: WriteOptions): Promise<UploadSession>;

  /**
   * Only drivers whose sessions need no answer from elsewhere (the filesystem): the session
   * `createUpload` will make for `uploadId`, known at once, so the caller can record it while
   * createUpload does its work. createUpload must still be called, and succeed, before any part.
   */
  plannedSession?(uploadId: string): UploadSession;

  /**
   * Stores part `partNumber` (MIN_PART_NUMBER..MAX_PART_NUMBER, RangeError otherwise) of a session.
   * An async iterable (a request body) is streamed chunk by chunk, never buffered whole; `length`,
   * when known, is its size (a driver may need it up front, as S3 does). Empty parts are allowed.
   * The caller never writes one part number twice; a driver may refuse a second write
   * (PartExistsError) but never lets it change what the first one stored once committed.
   * Rejects with UploadSessionNotFoundError when the session was aborted (or never existed), and
   * rethrows whatever the iterable throws (the part is then incomplete and must not be committed).
   */
  writePart(
    session: UploadSession,
    partNumber: number,
    data: Uint8Array | AsyncIterable<Uint8Array>,
    length?: number,
  ): Promise<WrittenPart>;

  /**
   * The bytes of a written, not yet published part, whole or an inclusive range (verification
   * reads them). PathNotFoundError when there is no such part (never written, published, or
   * aborted); RangeNotSatisfiableError as for `blobReader`.
   */
  partReader(session: UploadSession, partNumber: number, range?: ByteRange): Promise<Readable>;

  /**
   * Publishes exactly `parts`, in the order given (ascending part numbers), as one immutable blob
   * whose content is `digest` (`sha256:<hex>`, already verified by the caller), and returns its
   * location. Bytes of any part not listed, written before or after this call, never appear in it.
   * Never copies the bytes: cost grows with the number of parts, not their size.
   *
   * Idempotent: calling it again — after success, or after a crash at any point inside it —
   * returns the same location. Two sessions completing the same digest end with one blob to
   * read: either both get the same location (content-addressed drivers, e.g. the filesystem:
   * the first writer wins and the second's parts are left for abortUpload) or each gets its own
   * and the caller keeps one in its digest → location index and deletes the other (deleteBlob).
   * Rejects with UploadSessionNotFoundError when the session holds neither the parts nor the
   * published blob (it was aborted).
   *
   * `digest` may be undefined, not yet known, only on drivers whose parts are not local files
   * (no `localParts`): they publish by upload, not by digest, and the caller hashes the
   * published blob (finalization without its carried hash state). Content-addressed drivers
   * reject an undefined digest.
   */
  completeUpload(
    session: UploadSession,
    parts: readonly WrittenPart[],
    digest: string | undefined,
  ): Promise<BlobLocation>;

  /**
   * Removes whatever is left of a session: all its parts if it never completed, the uncommitted
   * ones if it did. Never touches a blob completeUpload published. Idempotent: no error when the
   * session is already gone.
   */
  abortUpload(session: UploadSession): Promise<void>;

  /** Every session that still holds storage (completed or not): for the purge of abandoned uploads. */
  listUploads(): AsyncIterable<UploadListing>;
}

/** Published blobs: immutable, read and deleted by location. */
export interface Blobs {
  /**
   * A stream of a blob, or of an inclusive byte range of it: the range is served across the
   * parts the blob was published from. RangeNotSatisfiableError when start > end or
   * start >= size (an empty blob has no satisfiable range); end is clamped to size - 1.
   * PathNotFoundError when no blob is at `location`.
   */
  blobReader(location: BlobLocation, range?: ByteRange): Promise<Readable>;

  /** Size and publication time of a blob; PathNotFoundError when none is at `location`. */
  statBlob(location: BlobLocation): Promise<ObjectInfo>;

  /** Removes a blob; no error when it is already gone. */
  deleteBlob(location: BlobLocation): Promise<void>;
}

/** Small objects, put and read whole by logical path. */
export interface SmallObjects {
  /** Whole-content write, atomic: readers see the old content or the new, never a partial one. */
  putContent(path: string, data: Uint8Array, options?: WriteOptions): Promise<void>;

  /** The whole content; PathNotFoundError when nothing is at `path`. */
  getContent(path: string): Promise<Buffer>;

  /** Removes an object, or everything under `path` as a prefix; no error when missing. */
  delete(path: string): Promise<void>;

  /**
   * Names of the immediate children of `path` ([] if none), sorted. On a store whose listings are
   * eventually consistent (OpenStack Swift updates a container's listing asynchronously when its
   * container server is slow to answer), a listing may lag behind writes and deletes for a while;
   * reads by path (`getContent`, `blobReader`) never do. Callers and tests that need a listing to
   * reflect a change wait for it as a condition.
   */
  list(path: string): Promise<string[]>;
}

// Starting with an alphanumeric rules out '.', '..', hidden names and driver temp files.
const SEGMENT = /^[A-Za-z0-9][A-Za-z0-9._-]*$/;

export function isValidPathSegment(name: string): boolean {
  return SEGMENT.test(name);
}

/** A whole logical path whose every segment matches SEGMENT: one test, no split (validateLogicalPath's fast way). */
const LOGICAL_PATH = /^[A-Za-z0-9][A-Za-z0-9._-]*(?:\/[A-Za-z0-9][A-Za-z0-9._-]*)*$/;

/**
 * Logical paths are relative and '/'-separated, and every segment matches
 * /^[A-Za-z0-9][A-Za-z0-9._-]*$/. Throws InvalidPathError otherwise.
 */
export function validateLogicalPath(path: string): void {
  if (typeof path === 'string' && LOGICAL_PATH.test(path)) return;
  if (typeof path !== 'string' || path === '') {
    throw new InvalidPathError(String(path), 'empty path');
  }
  for (const segment of path.split('/')) {
    if (segment === '') throw new InvalidPathError(path, 'empty segment (leading, trailing or double slash)');
    if (!SEGMENT.test(segment)) {
      throw new InvalidPathError(path, `segment ${JSON.stringify(segment)} must match ${SEGMENT.source}`);
    }
  }
}

/** The absolute path of a logical path under rootDir. */
export function resolveLogicalPath(rootDir: string, path: string): string {
  return logicalPathUnder(resolve(rootDir), path);
}

/**
 * The absolute path of a logical path under `root`, an absolute, normalized directory (as
 * `path.resolve` answers): the root, a separator, the segments. Every segment starts with a
 * letter or a digit, so none is `.` or `..`: the path cannot leave the root nor need
 * normalizing, and no `path.resolve` runs per call (it rebuilds the whole path a character at a
 * time: 15 % of the worker's allocations per small push, issue 17 cpu26).
 */
export function logicalPathUnder(root: string, path: string): string {
  validateLogicalPath(path);
  const segments = sep === '/' ? path : path.split('/').join(sep);
  return root.endsWith(sep) ? root + segments : root + sep + segments;
}

/** An upload session as stored with its upload's record. */
export function sessionToJson(session: UploadSession): string {
  return JSON.stringify(session);
}

/** The session stored with an upload's record; throws when there is none or it is malformed. */
export function sessionFromJson(json: string | undefined, uploadId: string): UploadSession {
  if (!json) throw new Error(`upload ${uploadId} has no storage session`);
  const session = JSON.parse(json) as UploadSession;
  if (session?.uploadId !== uploadId || typeof session.state !== 'object' || session.state === null) {
    throw new Error(`upload ${uploadId} has a malformed storage session`);
  }
  return session;
}

import { Readable } from 'node:stream';
import { parseUploadId } from '@longshore/domain';
import {
  AbortMultipartUploadCommand,
  CompleteMultipartUploadCommand,
  CreateMultipartUploadCommand,
  GetObjectCommand,
  ListMultipartUploadsCommand,
  ListPartsCommand,
  PutObjectCommand,
  type S3Client,
  UploadPartCommand,
  UploadPartCopyCommand,
} from '@aws-sdk/client-s3';
import { Upload } from '@aws-sdk/lib-storage';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import { InvalidPathError, PathNotFoundError, UploadSessionNotFoundError } from '../errors.js';
import { validateLogicalPath } from '../storage-driver.js';
import {
  type BlobLocation,
  type ByteRange,
  MAX_PART_NUMBER,
  MIN_PART_NUMBER,
  type ObjectInfo,
  type StorageDriver,
  type UploadListing,
  type UploadSession,
  type WrittenPart,
} from '../storage-driver.js';
import { type PlannedPart, planCompletion } from './completion-plan.js';
import { partReceipt, type StoredPart, storedPart } from './part-receipt.js';
import { createS3Client, type S3ConnectionOptions } from './s3-client.js';
import { isNoSuchKey, isNoSuchUpload } from './s3-error-kinds.js';
import { type S3KeyLayout, s3KeyLayout } from './s3-key-layout.js';
import { S3Objects } from './s3-objects.js';
import { PartNotReadableError } from './s3-storage-errors.js';
import { assembleThroughIntermediate } from './assemble-through-intermediate.js';
import { encryptionFromState, encryptionParameters, encryptionState, type SseParameters } from './s3-encryption.js';

export interface S3DriverOptions extends S3ConnectionOptions {
  bucket: string;
  /** Key prefix for everything the driver stores (S3_PREFIX); default ''. */
  prefix?: string;
  /** S3's smallest part but the last; default 5 MiB. */
  minPartSize?: number;
  /** A ready client instead of one built from the connection options. */
  client?: S3Client;
}

const MiB = 1024 * 1024;
const COMPLETION_CONCURRENCY = 4;
/** How often getContent reads an object that answers 404 before reporting it missing (see there). */
const MISSING_OBJECT_READS = 3;

/** The session state the S3 driver keeps with each upload's record. */
interface S3SessionState {
  key: string;
  /** The multipart upload id; '' for a session listed from its staged parts only. */
  multipart: string;
  /** Server-side encryption of every object the session writes (none: the bucket's default). */
  sse: SseParameters;
}

/** The S3 driver: upload sessions on S3 multipart uploads. See the README's S3 section. */
export interface S3Driver extends StorageDriver {
  /** A presigned GET URL of a blob, valid for `expiresInSeconds`, for redirecting downloads. */
  blobUrl(location: BlobLocation, expiresInSeconds: number): Promise<string>;
}

/**
 * Creates the S3 storage driver.
 *
 * - An upload session is an S3 multipart upload of the object `blobs/<uploadId>`, started at
 *   createUpload. A part of known length and at least `minPartSize` is uploaded straight into it
 *   under the claim's own part number: written once, never copied. A stale writer's part has a
 *   number no committed part has, so it is never named at completion and S3 discards it.
 * - Smaller parts (OCI PATCH may send any size) and parts of unknown length are staged, each as
 *   its own object. At completion each run of consecutive staged parts becomes one part of the
 *   multipart upload: a single staged object of at least the minimum is copied inside the store
 *   (UploadPartCopy), smaller ones are read back and uploaded once, together.
 * - Completion completes the multipart upload where it was written and returns that key as the
 *   blob's location; the digest → location index lives in metadata. A repeated completion finds
 *   the multipart upload gone and the object there, and returns the same location.
 */
export function createS3Driver(options: S3DriverOptions): S3Driver {
  const client = options.client ?? createS3Client(options);
  const bucket = options.bucket;
  const keys: S3KeyLayout = s3KeyLayout(options.prefix ?? '');
  const objects = new S3Objects(client, bucket);
  const minPartSize = options.minPartSize ?? 5 * MiB;

  const stateOf = (session: UploadSession): S3SessionState => {
    const { key, multipart } = session.state;
    if (typeof key !== 'string' || typeof multipart !== 'string') {
      throw new Error(`upload ${session.uploadId}: not an S3 driver session`);
    }
    return { key, multipart, sse: encryptionParameters(encryptionFromState(session.state)) };
  };

  const sessionGone = (session: UploadSession, cause: unknown): UploadSessionNotFoundError =>
    new UploadSessionNotFoundError(session.uploadId, { cause });

  /** Whether the session's multipart upload still takes parts. */
  async function multipartOpen(state: S3SessionState): Promise<boolean> {
    if (state.multipart === '') return false;
    try {
      await client.send(
        new ListPartsCommand({ Bucket: bucket, Key: state.key, UploadId: state.multipart, MaxParts: 1 }),
      );
      return true;
    } catch (error) {
      if (isNoSuchUpload(error)) return false;
      throw error;
    }
  }

  /** Whether the session no longer takes parts: its multipart upload was aborted or completed. */
  async function sessionEnded(state: S3SessionState): Promise<boolean> {
    const [open, blob] = await Promise.all([multipartOpen(state), objects.head(state.key)]);
    return !open || blob !== undefined;
  }

  /** Aborts the session's multipart upload; no error when it already ended. */
  async function abortMultipart(state: S3SessionState): Promise<void> {
    try {
      await client.send(new AbortMultipartUploadCommand({ Bucket: bucket, Key: state.key, UploadId: state.multipart }));
    } catch (error) {
      // Swift's s3api answers NoSuchKey, not NoSuchUpload, for a completed upload.
      if (!isNoSuchUpload(error) && !isNoSuchKey(error)) throw error;
    }
  }

  async function writeDirect(
    session: UploadSession,
    partNumber: number,
    body: Uint8Array | Readable,
    size: number,
    abortSignal?: AbortSignal,
  ): Promise<WrittenPart> {
    const { key, multipart } = stateOf(session);
    try {
      const { ETag } = await client.send(
        new UploadPartCommand({
          Bucket: bucket,
          Key: key,
          UploadId: multipart,
          PartNumber: partNumber,
          Body: body,
          ContentLength: size,
        }),
        { abortSignal },
      );
      // Some stores (Swift's s3api) still take parts after completion: refuse them as S3 does.
      if (await sessionEnded(stateOf(session))) throw sessionGone(session, undefined);
      return { partNumber, size, receipt: partReceipt('direct', ETag ?? '') };
    } catch (error) {
      if (isNoSuchUpload(error)) throw sessionGone(session, error);
      throw error;
    }
  }

  async function writeStaged(
    session: UploadSession,
    partNumber: number,
    body: Uint8Array | Readable,
    size: number | undefined,
    abortSignal?: AbortSignal,
  ): Promise<WrittenPart> {
    const key = keys.stagedPart(session.uploadId, partNumber);
    const { sse } = stateOf(session);
    let etag: string;
    let written: number;
    if (size !== undefined) {
      const put = await client.send(
        new PutObjectCommand({ Bucket: bucket, Key: key, Body: body, ContentLength: size, ...sse }),
        { abortSignal },
      );
      etag = put.ETag ?? '';
      written = size;
    } else {
      // Unknown length: streamed in bounded pieces (a multipart upload of the staged object).
      let counted = 0;
      const counting = (body as Readable).on('data', (chunk: Buffer) => {
        counted += chunk.length;
      });
      const upload = new Upload({
        client,
        params: { Bucket: bucket, Key: key, Body: counting, ...sse },
        partSize: minPartSize,
      });
      const result = await upload.done();
      etag = result.ETag ?? '';
      written = counted;
    }
    // A part staged after the session ended (aborted, or completed without it) must not linger.
    if (await sessionEnded(stateOf(session))) {
      await objects.delete(key);
      throw sessionGone(session, undefined);
    }
    return { partNumber, size: written, receipt: partReceipt('staged', etag) };
  }

  /** Reads the staged objects of `sources` back, one after another, as one stream. */
  function concatenation(uploadId: string, sources: readonly StoredPart[]): Readable {
    async function* bytes(): AsyncGenerator<Uint8Array> {
      for (const source of sources) {
        const object = await client.send(
          new GetObjectCommand({ Bucket: bucket, Key: keys.stagedPart(uploadId, source.partNumber) }),
        );
        for await (const chunk of object.Body as Readable) yield chunk as Uint8Array;
      }
    }
    return Readable.from(bytes());
  }

  /** Puts one planned part into the multipart upload; resolves with its ETag. */
  async function placePart(session: UploadSession, state: S3SessionState, part: PlannedPart): Promise<string> {
    const target = { Bucket: bucket, Key: state.key, UploadId: state.multipart, PartNumber: part.partNumber };
    switch (part.action) {
      case 'use':
        return part.etag;
      case 'copy': {
        const source = `${bucket}/${keys.stagedPart(session.uploadId, part.source.partNumber)}`;
        const copied = await client.send(new UploadPartCopyCommand({ ...target, CopySource: encodeURI(source) }));
        return copied.CopyPartResult?.ETag ?? '';
      }
      case 'concatenate': {
        const body = concatenation(session.uploadId, part.sources);
        const uploaded = await client.send(new UploadPartCommand({ ...target, Body: body, ContentLength: part.size }));
        return uploaded.ETag ?? '';
      }
    }
  }

  /** Where a mixed session (see assembleThroughIntermediate) publishes its blob. */
  const assembledKey = (state: S3SessionState): string => `${state.key}.assembled`;

  async function completeMixed(
    session: UploadSession,
    state: S3SessionState,
    parts: StoredPart[],
  ): Promise<BlobLocation> {
    const finalKey = assembledKey(state);
    const intermediate = await objects.head(state.key);
    const open = intermediate === undefined && (await multipartOpen(state));
    if (!open && intermediate === undefined && (await objects.head(finalKey)) === undefined) {
      throw sessionGone(session, undefined);
    }
    const context = {
      client,
      bucket,
      objects,
      minPartSize,
      sse: state.sse,
      stagedKey: (partNumber: number) => keys.stagedPart(session.uploadId, partNumber),
      completeDirect: async (direct: StoredPart[]) => {
        try {
          await client.send(
            new CompleteMultipartUploadCommand({
              Bucket: bucket,
              Key: state.key,
              UploadId: state.multipart,
              MultipartUpload: { Parts: direct.map((part) => ({ PartNumber: part.partNumber, ETag: part.etag })) },
            }),
          );
        } catch (error) {
          // A concurrent run completed it first: the intermediate object is there all the same.
          if ((await objects.head(state.key)) === undefined) throw error;
        }
      },
    };
    return assembleThroughIntermediate(context, parts, state.key, finalKey, open);
  }

  async function complete(session: UploadSession, state: S3SessionState, parts: StoredPart[]): Promise<BlobLocation> {
    // Completed before (Swift's s3api even keeps a completed multipart upload listable).
    if ((await objects.head(state.key)) !== undefined) return state.key;
    if (!(await multipartOpen(state))) throw sessionGone(session, undefined);
    if (parts.length === 0) {
      // S3 completes no multipart upload without parts: an empty blob is an empty object.
      await client.send(
        new PutObjectCommand({
          Bucket: bucket,
          Key: state.key,
          Body: new Uint8Array(),
          ContentLength: 0,
          ...state.sse,
        }),
      );
      await abortMultipart(state);
      return state.key;
    }
    const plan = planCompletion(parts, minPartSize);
    if (plan === undefined) throw new Error('unreachable: mixed sessions complete through completeMixed');
    const etags: string[] = new Array(plan.length);
    for (let next = 0; next < plan.length; next += COMPLETION_CONCURRENCY) {
      const batch = plan.slice(next, next + COMPLETION_CONCURRENCY);
      const placed = await Promise.all(batch.map((part) => placePart(session, state, part)));
      placed.forEach((etag, index) => {
        etags[next + index] = etag;
      });
    }
    await client.send(
      new CompleteMultipartUploadCommand({
        Bucket: bucket,
        Key: state.key,
        UploadId: state.multipart,
        MultipartUpload: { Parts: plan.map((part, index) => ({ PartNumber: part.partNumber, ETag: etags[index] })) },
      }),
    );
    return state.key;
  }

  const driver: S3Driver = {
    name: 's3',

    async createUpload(uploadId, options) {
      if (!parseUploadId(uploadId)) throw new InvalidPathError(uploadId, 'an upload id must be a UUID');
      const key = keys.blob(uploadId);
      const sse = encryptionParameters(options?.encryption);
      const { UploadId } = await client.send(new CreateMultipartUploadCommand({ Bucket: bucket, Key: key, ...sse }));
      if (!UploadId) throw new Error(`S3 started a multipart upload of ${key} without an id`);
      return { uploadId, state: { key, multipart: UploadId, ...encryptionState(options?.encryption) } };
    },

    async writePart(session, partNumber, data, length) {
      if (!Number.isInteger(partNumber) || partNumber < MIN_PART_NUMBER || partNumber > MAX_PART_NUMBER) {
        throw new RangeError(
          `part number must be an integer in ${MIN_PART_NUMBER}..${MAX_PART_NUMBER}, got ${partNumber}`,
        );
      }
      const size = data instanceof Uint8Array ? data.length : length;
      const body = data instanceof Uint8Array ? data : Readable.from(data);
      // A body that fails mid-way (its client gone, longer than its range) fails the write at
      // once with its own error, as the port says: heard here (never an unhandled 'error' that
      // ends the process), it aborts the request, which would otherwise wait for the bytes.
      let bodyError: unknown;
      const abort = new AbortController();
      if (body instanceof Readable) {
        body.once('error', (error) => {
          bodyError = error;
          abort.abort(error);
        });
      }
      try {
        if (size !== undefined && size >= minPartSize) {
          return await writeDirect(session, partNumber, body, size, abort.signal);
        }
        return await writeStaged(session, partNumber, body, size, abort.signal);
      } catch (error) {
        throw bodyError ?? error;
      }
    },

    async partReader(session, partNumber, range?: ByteRange) {
      const stream = await objects.read(keys.stagedPart(session.uploadId, partNumber), range);
      if (stream !== undefined) return stream;
      const state = stateOf(session);
      if (state.multipart !== '') {
        try {
          const listed = await client.send(
            new ListPartsCommand({
              Bucket: bucket,
              Key: state.key,
              UploadId: state.multipart,
              PartNumberMarker: String(partNumber - 1),
              MaxParts: 1,
            }),
          );
          if (listed.Parts?.[0]?.PartNumber === partNumber)
            throw new PartNotReadableError(session.uploadId, partNumber);
        } catch (error) {
          if (!isNoSuchUpload(error)) throw error;
        }
      }
      throw new PathNotFoundError(`${session.uploadId}/parts/${partNumber}`);
    },

    async completeUpload(session, parts) {
      const state = stateOf(session);
      // Empty parts add no bytes (and S3 may refuse an empty part).
      const stored = parts.map(storedPart).filter((part) => part.size > 0);
      // Small staged parts before a direct one: S3 cannot complete them as stored.
      const mixed = stored.length > 0 && planCompletion(stored, minPartSize) === undefined;
      const location = mixed ? assembledKey(state) : state.key;
      try {
        return mixed ? await completeMixed(session, state, stored) : await complete(session, state, stored);
      } catch (error) {
        const gone = error instanceof UploadSessionNotFoundError || isNoSuchUpload(error) || isNoSuchKey(error);
        if (!gone) throw error;
        // The multipart upload is gone: an earlier (or concurrent) run completed it, or it was aborted.
        if ((await objects.head(location)) !== undefined) return location;
        throw error instanceof UploadSessionNotFoundError ? error : sessionGone(session, error);
      }
    },

    async abortUpload(session) {
      const state = stateOf(session);
      if (state.multipart !== '') await abortMultipart(state);
      await objects.deleteAll(keys.stagedParts(session.uploadId));
    },

    async *listUploads(): AsyncGenerator<UploadListing> {
      const seen = new Set<string>();
      let keyMarker: string | undefined;
      let uploadIdMarker: string | undefined;
      do {
        const page = await client.send(
          new ListMultipartUploadsCommand({
            Bucket: bucket,
            Prefix: keys.blobsPrefix,
            KeyMarker: keyMarker,
            UploadIdMarker: uploadIdMarker,
          }),
        );
        for (const upload of page.Uploads ?? []) {
          const uploadId = upload.Key === undefined ? undefined : keys.uploadIdOfBlob(upload.Key);
          if (uploadId === undefined || upload.UploadId === undefined || !parseUploadId(uploadId)) continue;
          seen.add(uploadId);
          const state = { key: keys.blob(uploadId), multipart: upload.UploadId };
          yield { session: { uploadId, state: { ...state } }, modifiedAt: upload.Initiated ?? new Date(0) };
        }
        const more = page.IsTruncated === true;
        keyMarker = more ? page.NextKeyMarker : undefined;
        uploadIdMarker = more ? page.NextUploadIdMarker : undefined;
      } while (keyMarker !== undefined);
      // Sessions whose multipart upload ended but whose staged parts remain.
      for (const uploadId of await objects.children(keys.stagingPrefix)) {
        if (seen.has(uploadId) || !parseUploadId(uploadId)) continue;
        let modifiedAt = new Date(0);
        for await (const object of objects.list(keys.stagedParts(uploadId))) {
          if (object.modifiedAt > modifiedAt) modifiedAt = object.modifiedAt;
        }
        const state = { key: keys.blob(uploadId), multipart: '' };
        yield { session: { uploadId, state: { ...state } }, modifiedAt };
      }
    },

    async blobReader(location, range) {
      const stream = await objects.read(location, range);
      if (stream === undefined) throw new PathNotFoundError(location);
      return stream;
    },

    async statBlob(location): Promise<ObjectInfo> {
      const info = await objects.head(location);
      if (info === undefined) throw new PathNotFoundError(location);
      return info;
    },

    async deleteBlob(location) {
      await objects.delete(location);
    },

    async blobUrl(location, expiresInSeconds) {
      return getSignedUrl(client, new GetObjectCommand({ Bucket: bucket, Key: location }), {
        expiresIn: expiresInSeconds,
      });
    },

    async putContent(path, data, options) {
      validateLogicalPath(path);
      await client.send(
        new PutObjectCommand({
          Bucket: bucket,
          Key: keys.object(path),
          Body: data,
          ContentLength: data.length,
          ...encryptionParameters(options?.encryption),
        }),
      );
    },

    async getContent(path) {
      validateLogicalPath(path);
      // Swift's object server lists an object's files, then opens the newest: an overwrite landing
      // in between (the old file replaced) makes the GET answer 404 although the object exists.
      // So a missing object is read again, at once, before it is reported missing.
      let stream: Readable | undefined;
      for (let read = 1; stream === undefined && read <= MISSING_OBJECT_READS; read++) {
        stream = await objects.read(keys.object(path));
      }
      if (stream === undefined) throw new PathNotFoundError(path);
      const chunks: Buffer[] = [];
      for await (const chunk of stream) chunks.push(chunk as Buffer);
      return Buffer.concat(chunks);
    },

    async delete(path) {
      validateLogicalPath(path);
      await objects.delete(keys.object(path));
      await objects.deleteAll(`${keys.object(path)}/`);
    },

    async list(path) {
      validateLogicalPath(path);
      return (await objects.children(`${keys.object(path)}/`)).sort();
    },
  };
  return driver;
}

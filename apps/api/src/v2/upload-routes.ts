import {
  INLINE_HASH_MAX_BYTES,
  InvalidLayerPartException,
  SizeInvalidError,
  UploadNotFoundException,
} from '@longshore/domain';
import { type BlobUploads, type MountFrom, refOf } from '../uploads/blob-uploads.js';
import type { CompletionFacts, PartUpload, UploadRecord, UploadService } from '../uploads/upload-service.js';
import { blobLocation, uploadLocation } from './blob-locations.js';
import { declaredLength, parseChunkRange, progressRange } from './chunk-range.js';
import { requireBlobDigest } from './oci-digest.js';
import { isRepositoryName } from './v2-path.js';
import type { V2Exchange, V2RouteFamily } from './v2-route.js';

export interface UploadRouteDeps {
  uploads: Pick<UploadService, 'uploadPart'>;
  blobUploads: Pick<
    BlobUploads,
    'start' | 'session' | 'closingSession' | 'complete' | 'canCompleteWithLastPart' | 'completeWithLastPart' | 'abort'
  >;
}

/** A body small enough to be read whole (INLINE_HASH_MAX_BYTES): it may go with its completion in one script. */
const isSmall = (part: PartUpload) => part.length !== undefined && part.length <= INLINE_HASH_MAX_BYTES;

/**
 * `/v2/<name>/blobs/uploads/[<uuid>]`: blob uploads onto the one upload core (BlobUploads holds
 * the rules: create-on-push, mount, sessions, "already exists"). POST starts one (or mounts a
 * blob from another repository, or takes a whole blob with `?digest=`); PATCH streams a chunk to
 * storage, hashed as it passes; PUT `?digest=` adds an optional last chunk and completes through
 * the finalize queue, answering 201 when the worker is done; GET tells the progress; DELETE
 * abandons it.
 */
export function uploadRoutes(deps: UploadRouteDeps): V2RouteFamily {
  const session = (x: V2Exchange, rejoin = false) =>
    deps.blobUploads.session(x.target.name, x.target.reference, rejoin);

  const answerProgress = (x: V2Exchange, record: UploadRecord, bytesReceived: number, status: number) => {
    x.res
      .status(status)
      .set({
        Location: uploadLocation(x.target.name, record.uploadId),
        'Docker-Upload-UUID': record.uploadId,
        Range: progressRange(bytesReceived),
        'Content-Length': '0',
      })
      .end();
  };

  const answerBlob = (x: V2Exchange, digest: string) => {
    x.res
      .status(201)
      .set({ Location: blobLocation(x.target.name, digest), 'Docker-Content-Digest': digest, 'Content-Length': '0' })
      .end();
  };

  /**
   * The request body as the upload's next chunk, or undefined when there is none. A chunk that
   * names a range must match its Content-Length.
   */
  const bodyPart = (x: V2Exchange, record: UploadRecord): PartUpload | undefined => {
    const range = parseChunkRange(x.req.get('content-range'));
    const length = declaredLength(x.req.get('content-length'));
    const streamed = x.req.get('transfer-encoding') !== undefined;
    if (!range && (length === 0 || (length === undefined && !streamed))) return undefined;
    const first = range ? range.first : record.bytesReceived;
    if (range && length !== undefined && length !== range.last - range.first + 1) {
      throw new SizeInvalidError(
        `Content-Length ${length} does not match Content-Range ${range.first}-${range.last} (${range.last - range.first + 1} bytes)`,
      );
    }
    const declared = range ? range.last - range.first + 1 : length;
    return declared === undefined
      ? { ...refOf(record), partFirstByte: first, data: x.req }
      : { ...refOf(record), partFirstByte: first, partLastByte: first + declared - 1, length: declared, data: x.req };
  };

  /**
   * Runs `store`, which stores a chunk of the upload; a chunk that does not start where the
   * upload stands is 416, with the progress headers a client needs to resume.
   */
  const withProgressOnRefusal = async <T>(x: V2Exchange, record: UploadRecord, store: () => Promise<T>) => {
    try {
      return await store();
    } catch (err) {
      if (err instanceof InvalidLayerPartException) {
        const received = Number(err.fields.lastValidByteReceived) + 1;
        x.res.set({
          Location: uploadLocation(x.target.name, record.uploadId),
          'Docker-Upload-UUID': record.uploadId,
          Range: progressRange(received),
        });
      }
      throw err;
    }
  };

  /** Streams the request body, if any, into the upload as its next chunk; returns the bytes received after it. */
  const appendBody = async (x: V2Exchange, record: UploadRecord): Promise<number> => {
    const part = bodyPart(x, record);
    if (!part) return record.bytesReceived;
    return withProgressOnRefusal(x, record, async () => (await deps.uploads.uploadPart(part)) + 1);
  };

  /**
   * The body as the last chunk, then the upload completed as the blob `digest` (monolithic POST,
   * closing PUT). With `facts` read with the session (closingSession), a small body is committed
   * and the completion begun in one script; a large one (streamed) is appended first, as before.
   */
  const completeWith = async (x: V2Exchange, record: UploadRecord, digest: string, facts?: CompletionFacts) => {
    const part = bodyPart(x, record);
    if (part && facts && isSmall(part) && deps.blobUploads.canCompleteWithLastPart(record, facts)) {
      await withProgressOnRefusal(x, record, () =>
        deps.blobUploads.completeWithLastPart(record, digest, part, facts, x.signal),
      );
    } else {
      if (part) await withProgressOnRefusal(x, record, () => deps.uploads.uploadPart(part));
      // Facts read before a large body streamed in may be stale by now: the completion reads them afresh.
      await deps.blobUploads.complete(record, digest, x.signal, part && !isSmall(part) ? undefined : facts);
    }
    answerBlob(x, digest);
  };

  return {
    POST: {
      operation: 'v2.StartUpload',
      async handle(x) {
        if (x.target.reference !== '') throw new UploadNotFoundException('POST starts an upload at /blobs/uploads/');
        const { mount, from, digest } = x.req.query;
        // mountAllowed: false when the caller may not pull from `from` (then this is an ordinary upload).
        const mountAllowed = x.res.locals.mountAllowed !== false;
        const mountFrom: MountFrom | undefined =
          mountAllowed && typeof mount === 'string' && typeof from === 'string' && isRepositoryName(from)
            ? { repositoryName: from, digest: requireBlobDigest(mount, 'mount digest').digest }
            : undefined;
        const wanted = digest === undefined ? undefined : requireBlobDigest(digest, 'digest').digest;
        const started = await deps.blobUploads.start(x.target.name, mountFrom);
        if ('mounted' in started) {
          answerBlob(x, started.mounted);
          return;
        }
        const record = started.upload;
        if (wanted === undefined) {
          answerProgress(x, record, 0, 202);
          return;
        }
        await completeWith(x, record, wanted);
      },
    },
    PATCH: {
      operation: 'v2.UploadChunk',
      async handle(x) {
        const record = await session(x);
        answerProgress(x, record, await appendBody(x, record), 202);
      },
    },
    PUT: {
      operation: 'v2.CompleteUpload',
      async handle(x) {
        let digest: string;
        try {
          digest = requireBlobDigest(x.req.query.digest, 'digest').digest;
        } catch (err) {
          await session(x, true); // an unknown session is answered first
          throw err;
        }
        const { record, facts } = await deps.blobUploads.closingSession(x.target.name, x.target.reference, digest);
        await completeWith(x, record, digest, facts);
      },
    },
    GET: {
      operation: 'v2.GetUpload',
      async handle(x) {
        const record = await session(x);
        answerProgress(x, record, record.bytesReceived, 204);
      },
    },
    DELETE: {
      operation: 'v2.CancelUpload',
      async handle(x) {
        const record = await session(x);
        await deps.blobUploads.abort(record);
        x.res.status(204).end();
      },
    },
  };
}

import {
  InvalidLayerPartException,
  LayerAlreadyExistsException,
  SizeInvalidError,
  UploadNotFoundException,
  parseUploadId,
} from '@longshore/domain';
import type { LayerService } from '../layers/layer-service.js';
import type { RepositoryService } from '../repositories/repository-service.js';
import type { PartPolicy, PartUpload, UploadRecord, UploadRef, UploadService } from '../uploads/upload-service.js';
import { blobLocation, uploadLocation } from './blob-locations.js';
import { declaredLength, parseChunkRange, progressRange } from './chunk-range.js';
import { requireBlobDigest } from './oci-digest.js';
import { isRepositoryName } from './v2-path.js';
import type { V2Exchange, V2RouteFamily } from './v2-route.js';

export interface UploadRouteDeps {
  uploads: Pick<UploadService, 'initiate' | 'uploadPart' | 'status' | 'abort' | 'complete'>;
  repositories: Pick<RepositoryService, 'getOrCreate'>;
  layers: Pick<LayerService, 'has' | 'mount'>;
  registryId: string;
  /** The part sizes of a /v2 upload: any chunk size, up to a whole layer in one request. */
  policy: PartPolicy;
  /** CREATE_REPOSITORY_ON_PUSH: pushing to a missing repository creates it. */
  createRepositoryOnPush: boolean;
}

/**
 * `/v2/<name>/blobs/uploads/[<uuid>]`: blob uploads onto the one upload core. POST starts one
 * (or mounts a blob from another repository, or takes a whole blob with `?digest=`); PATCH
 * streams a chunk to storage, hashed as it passes; PUT `?digest=` adds an optional last chunk
 * and completes through the finalize queue, answering 201 when the worker is done; GET tells
 * the progress; DELETE abandons it.
 */
export function uploadRoutes(deps: UploadRouteDeps): V2RouteFamily {
  const refOf = (record: UploadRecord): UploadRef => ({
    uploadId: record.uploadId,
    repositoryName: record.repositoryName,
    registryId: record.registryId,
  });

  /**
   * The upload a session URL names: it must exist, belong to `name` and still take bytes. A
   * completion may also name one whose completion already began: a PUT retried after a timeout
   * (or a crash) rejoins the finalize job instead of hearing that the upload is gone.
   */
  const session = async ({ target }: V2Exchange, rejoin = false): Promise<UploadRecord> => {
    const uploadId = parseUploadId(target.reference);
    const unknown = () =>
      new UploadNotFoundException(
        `The upload '${target.reference.slice(0, 64)}' of '${target.name}' is not in progress`,
      );
    if (!uploadId) throw unknown();
    const record = await deps.uploads.status(uploadId);
    if (record.repositoryName !== target.name || (record.status !== 'uploading' && !rejoin)) throw unknown();
    return record;
  };

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
   * Streams the request body, if any, into the upload as its next chunk; returns the bytes
   * received after it. A chunk that does not start where the upload stands is 416, with the
   * progress headers a client needs to resume.
   */
  const appendBody = async (x: V2Exchange, record: UploadRecord): Promise<number> => {
    const range = parseChunkRange(x.req.get('content-range'));
    const length = declaredLength(x.req.get('content-length'));
    const streamed = x.req.get('transfer-encoding') !== undefined;
    if (!range && (length === 0 || (length === undefined && !streamed))) return record.bytesReceived;
    const first = range ? range.first : record.bytesReceived;
    if (range && length !== undefined && length !== range.last - range.first + 1) {
      throw new SizeInvalidError(
        `Content-Length ${length} does not match Content-Range ${range.first}-${range.last} (${range.last - range.first + 1} bytes)`,
      );
    }
    const declared = range ? range.last - range.first + 1 : length;
    const part: PartUpload =
      declared === undefined
        ? { ...refOf(record), partFirstByte: first, data: x.req }
        : { ...refOf(record), partFirstByte: first, partLastByte: first + declared - 1, length: declared, data: x.req };
    try {
      return (await deps.uploads.uploadPart(part)) + 1;
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

  /**
   * Completes the upload as the blob `digest`: through the finalize queue, waiting for the
   * worker. A blob the repository already holds is success (the upload is dropped).
   */
  const complete = async (x: V2Exchange, record: UploadRecord, digest: string): Promise<void> => {
    if (await deps.layers.has(record.repositoryName, digest)) {
      await deps.uploads.abort(refOf(record)).catch(() => undefined);
      return;
    }
    try {
      await deps.uploads.complete({ ...refOf(record), layerDigests: [digest] }, x.signal);
    } catch (err) {
      if (!(err instanceof LayerAlreadyExistsException)) throw err;
    }
  };

  const ensureRepository = async (name: string) => {
    if (deps.createRepositoryOnPush) await deps.repositories.getOrCreate(name);
  };

  return {
    POST: {
      operation: 'v2.StartUpload',
      async handle(x) {
        const { name } = x.target;
        if (x.target.reference !== '') throw new UploadNotFoundException('POST starts an upload at /blobs/uploads/');
        await ensureRepository(name);
        const { mount, from, digest } = x.req.query;
        // mountAllowed: false when the caller may not pull from `from` (then this is an ordinary upload).
        const mountAllowed = x.res.locals.mountAllowed !== false;
        if (mountAllowed && typeof mount === 'string' && typeof from === 'string' && isRepositoryName(from)) {
          const mounted = requireBlobDigest(mount, 'mount digest').digest;
          if (await deps.layers.mount(from, name, deps.registryId, mounted)) {
            answerBlob(x, mounted);
            return;
          }
        }
        const wanted = digest === undefined ? undefined : requireBlobDigest(digest, 'digest').digest;
        const record = await deps.uploads.initiate(name, deps.registryId, deps.policy);
        if (wanted === undefined) {
          answerProgress(x, record, 0, 202);
          return;
        }
        await appendBody(x, record);
        await complete(x, record, wanted);
        answerBlob(x, wanted);
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
        const record = await session(x, true);
        const { digest } = requireBlobDigest(x.req.query.digest, 'digest');
        await appendBody(x, record);
        await complete(x, record, digest);
        answerBlob(x, digest);
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
        await deps.uploads.abort(refOf(record));
        x.res.status(204).end();
      },
    },
  };
}

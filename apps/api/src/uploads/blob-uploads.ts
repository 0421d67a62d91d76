import { LayerAlreadyExistsException, UploadNotFoundException, parseUploadId } from '@longshore/domain';
import type { LayerService } from '../layers/layer-service.js';
import type { RepositoryService } from '../repositories/repository-service.js';
import type {
  CompletionFacts,
  PartPolicy,
  PartUpload,
  UploadRecord,
  UploadRef,
  UploadService,
} from './upload-service.js';

export interface BlobUploadsDeps {
  uploads: Pick<
    UploadService,
    'initiate' | 'initiateInRepository' | 'status' | 'abort' | 'complete' | 'completeWithLastPart' | 'completionFacts'
  >;
  layers: Pick<LayerService, 'has' | 'mount'>;
  repositories: Pick<RepositoryService, 'getOrCreate'>;
  registryId: string;
  /** The part sizes of a blob upload: any chunk size, up to a whole layer in one request. */
  policy: PartPolicy;
  /** CREATE_REPOSITORY_ON_PUSH: pushing to a missing repository creates it. */
  createRepositoryOnPush: boolean;
}

/** A blob to link from another repository instead of uploading it (a cross-repository mount). */
export interface MountFrom {
  repositoryName: string;
  digest: string;
}

/** What starting a blob upload came to: the blob was mounted, or an upload session was opened. */
export type BlobUploadStart = { mounted: string } | { upload: UploadRecord };

/**
 * Blob uploads as the OCI Distribution API has them, on the one upload core: the repository is
 * created on first push (CREATE_REPOSITORY_ON_PUSH), a blob another repository holds may be
 * mounted instead of uploaded, an upload is continued through its session, and completing with
 * a blob the repository already holds is success.
 */
export class BlobUploads {
  constructor(private readonly deps: BlobUploadsDeps) {}

  /**
   * Mounts `mountFrom`'s blob into the repository when that repository holds it (and its blob is
   * not being collected); otherwise opens an upload session. Without a mount, into a repository
   * that exists, the repository is read with the session's record (one round trip for both).
   */
  async start(repositoryName: string, mountFrom?: MountFrom): Promise<BlobUploadStart> {
    const { deps } = this;
    if (deps.createRepositoryOnPush && !mountFrom) {
      const upload = await deps.uploads.initiateInRepository(repositoryName, deps.registryId, deps.policy);
      if (upload) return { upload };
    }
    const repository = deps.createRepositoryOnPush ? await deps.repositories.getOrCreate(repositoryName) : undefined;
    if (mountFrom) {
      const { repositoryName: from, digest } = mountFrom;
      if (await deps.layers.mount(from, repositoryName, deps.registryId, digest)) return { mounted: digest };
    }
    return { upload: await deps.uploads.initiate(repositoryName, deps.registryId, deps.policy, repository) };
  }

  /**
   * The upload a session names (`reference`, as the client sent it): it must exist, belong to
   * `repositoryName` and still take bytes, or UploadNotFoundException. A completion (`rejoin`)
   * may also name one whose completion already began: a completion retried after a timeout (or
   * a crash) rejoins the finalize job instead of hearing that the upload is gone.
   */
  async session(repositoryName: string, reference: string, rejoin = false): Promise<UploadRecord> {
    const unknown = () =>
      new UploadNotFoundException(`The upload '${reference.slice(0, 64)}' of '${repositoryName}' is not in progress`);
    const uploadId = parseUploadId(reference);
    if (!uploadId) throw unknown();
    const record = await this.deps.uploads.status(uploadId);
    if (record.repositoryName !== repositoryName || (record.status !== 'uploading' && !rejoin)) throw unknown();
    return record;
  }

  /**
   * The session of a request that completes the upload as the blob `digest` (see session, with
   * `rejoin`), and what the completion checks in other slots (the repository, its link of
   * `digest`), read in the same round trip.
   */
  async closingSession(
    repositoryName: string,
    reference: string,
    digest: string,
  ): Promise<{ record: UploadRecord; facts: CompletionFacts }> {
    const [record, facts] = await Promise.all([
      this.session(repositoryName, reference, true),
      this.deps.uploads.completionFacts(repositoryName, [digest]),
    ]);
    return { record, facts };
  }

  /**
   * Completes the upload as the blob `digest`, through the finalize queue, waiting for the
   * worker. A blob the repository already holds is success: the upload is dropped, and
   * `existed` says so. `facts`, when read with the session just before (closingSession), spare
   * reading them again.
   */
  async complete(
    record: UploadRecord,
    digest: string,
    signal?: AbortSignal,
    facts?: CompletionFacts,
  ): Promise<{ existed: boolean }> {
    const ref = refOf(record);
    const linked = facts ? facts.linkedDigest !== '' : await this.deps.layers.has(record.repositoryName, digest);
    if (linked) {
      await this.deps.uploads.abort(ref).catch(() => undefined);
      return { existed: true };
    }
    return this.existedIfRefused(() => this.deps.uploads.complete({ ...ref, layerDigests: [digest] }, signal, facts));
  }

  /**
   * Whether `last`, the body of a completing request, may go with the completion in one script
   * (completeWithLastPart): the upload takes parts, its repository exists and does not hold the
   * blob yet. Otherwise the caller appends the body and completes in two steps, as before.
   */
  canCompleteWithLastPart(record: UploadRecord, facts: CompletionFacts): boolean {
    return record.status === 'uploading' && facts.repositoryExists && facts.linkedDigest === '';
  }

  /**
   * Appends `last` to the upload and completes it as the blob `digest`, committing the part and
   * beginning the completion in one script (see canCompleteWithLastPart for when it may).
   */
  async completeWithLastPart(
    record: UploadRecord,
    digest: string,
    last: PartUpload,
    facts: CompletionFacts,
    signal?: AbortSignal,
  ): Promise<{ existed: boolean }> {
    const request = { ...refOf(record), layerDigests: [digest] };
    return this.existedIfRefused(() => this.deps.uploads.completeWithLastPart(last, request, facts, signal, record));
  }

  /** A completion refused because the repository already holds the layer is success. */
  private async existedIfRefused(complete: () => Promise<unknown>): Promise<{ existed: boolean }> {
    try {
      await complete();
      return { existed: false };
    } catch (err) {
      if (!(err instanceof LayerAlreadyExistsException)) throw err;
      return { existed: true };
    }
  }

  /** Abandons an upload still taking bytes, and removes them. */
  async abort(record: UploadRecord): Promise<void> {
    await this.deps.uploads.abort(refOf(record));
  }
}

export function refOf(record: UploadRecord): UploadRef {
  return { uploadId: record.uploadId, repositoryName: record.repositoryName, registryId: record.registryId };
}

import {
  ImageAlreadyExistsException,
  ImageDigestDoesNotMatchException,
  digestAlgorithm,
  ImageNotFoundException,
  ImageReferencedByManifestListError,
  ImageTagAlreadyExistsException,
  ManifestBlobsNotFoundError,
  ReferencedImagesNotFoundException,
  imageSizeInBytes,
  isTagImmutable,
  parseImageReference,
  parseManifest,
  requiredBlobs,
  referencedBlobs,
  referrerArtifactType,
  requireDigest,
  requireOciDigest,
  requireTag,
  type ImageReference,
  type ParsedManifest,
} from '@longshore/domain';
import {
  BlobBeingCollectedError,
  referrerDescriptor,
  type BlobIndex,
  type BlobReferences,
  type ImageRecord,
  type ImageStore,
  type LayerStore,
  type RepositoryRecord,
  type RepositoryStore,
} from '@longshore/metadata';
import type { RepositoryService } from '../repositories/repository-service.js';
import type { BatchScope } from './image-batches.js';
import type { PullRecorder } from './pull-recorder.js';
import type { ListingScope } from './image-listings.js';
import type {
  CatalogPage,
  EcrImage,
  EcrImageDetail,
  ManifestContent,
  ManifestHead,
  PutImageRequest,
  PutManifestResult,
  ReferrerList,
  TagPage,
} from './image-service-types.js';

/** The image vocabulary the doors speak, from the service (doors do not import the stores). */
export type { TaggedImage } from '@longshore/metadata';

export interface ImageServiceDeps {
  repositories: RepositoryService;
  repositoryStore: RepositoryStore;
  images: ImageStore;
  layers: LayerStore;
  /** A push retains the blobs its manifest names, so a garbage collection under way keeps them. */
  blobs: Pick<BlobIndex, 'retain'>;
  /** A push pins the blobs its manifest names while it commits it (see collect-garbage.ts in the worker). */
  blobReferences: Pick<BlobReferences, 'pin' | 'unpin'>;
  registryId: string;
  /** CREATE_REPOSITORY_ON_PUSH: a /v2 manifest push to a missing repository creates it. */
  createRepositoryOnPush: boolean;
  /** Records manifest pulls (DescribeImages lastRecordedPullTime); none recorded without it. */
  pulls?: PullRecorder;
}

/** How one push is stored: the door decides. */
interface StorePolicy {
  /** ECR PutImage: a push that changes nothing is ImageAlreadyExistsException. /v2: idempotent. */
  rejectUnchanged: boolean;
  /**
   * Pushes: every blob the manifest names must be in the repository. A pull-through cache stores
   * upstream manifests before their blobs, which it fetches as clients ask for them.
   */
  requireBlobs?: boolean;
}

/** Listing without `n` answers everything (the store still reads in pages of this size at most). */
const UNLIMITED = 100_000;

/**
 * The images of every repository: one store of manifests and tags behind both doors. The /v2
 * door uses the reference-based methods (putManifest … catalog); the ECR door uses putImage and
 * the listing and batch helpers built on this service. Errors are domain errors.
 */
export class ImageService {
  constructor(private readonly deps: ImageServiceDeps) {}

  get registryId(): string {
    return this.deps.registryId;
  }

  /** One repository's images, for the ECR batch and listing reads (image-batches.ts, image-listings.ts). */
  scopeOf(repositoryName: string): BatchScope & ListingScope {
    const pulls = this.deps.pulls;
    return {
      store: this.deps.images,
      registryId: this.deps.registryId,
      repositoryName,
      ...(pulls ? { pulled: (digest: string) => pulls.pulled(repositoryName, digest) } : {}),
    };
  }

  /** ECR image details with each image's `lastRecordedPullTime` (epoch seconds) when one is recorded. */
  async withPullTimes(repositoryName: string, details: EcrImageDetail[]): Promise<EcrImageDetail[]> {
    const times = await this.deps.images.pullTimes(
      repositoryName,
      details.map((d) => d.imageDigest),
    );
    return details.map((detail, i) =>
      times[i] !== undefined ? { ...detail, lastRecordedPullTime: times[i] / 1000 } : detail,
    );
  }

  /** The tags of each image, in the order of `digests`. */
  tagsOf(repositoryName: string, digests: string[]): Promise<string[][]> {
    return this.deps.images.tagsOf(repositoryName, digests);
  }

  // ---- the OCI door (/v2) -------------------------------------------------------------------

  /**
   * PUT /v2/<name>/manifests/<reference>. `reference` is a tag or a digest; a digest must be the
   * sha256 or sha512 of `bytes` (ImageDigestDoesNotMatchException). The repository is created when missing
   * and CREATE_REPOSITORY_ON_PUSH is on (RepositoryNotFoundException otherwise). Re-pushing a
   * stored manifest succeeds; moving an immutable tag is ImageTagAlreadyExistsException.
   */
  async putManifest(
    repositoryName: string,
    reference: string,
    bytes: Buffer,
    contentType?: string,
  ): Promise<PutManifestResult> {
    const ref = parseImageReference(reference);
    // A manifest pushed by a sha512 digest is named by its sha512 (OCI image-spec registers both).
    const manifest = parseManifest(bytes, contentType, ref.kind === 'digest' ? digestAlgorithm(ref.digest) : 'sha256');
    if (ref.kind === 'digest') this.requireDigestMatches(ref.digest, manifest);
    const repository = this.deps.createRepositoryOnPush
      ? await this.deps.repositories.getOrCreate(repositoryName)
      : await this.deps.repositories.require(repositoryName);
    return this.store(repository, manifest, bytes, ref.kind === 'tag' ? ref.tag : undefined, {
      rejectUnchanged: false,
    });
  }

  /** GET /v2/<name>/manifests/<reference>: the exact bytes pushed, with digest and media type. */
  async getManifest(repositoryName: string, reference: string): Promise<ManifestContent> {
    await this.deps.repositories.require(repositoryName);
    const ref = parseImageReference(reference);
    const digest = await this.resolve(repositoryName, ref);
    const found = digest ? await this.deps.images.getManifest(repositoryName, digest) : undefined;
    if (!found) throw this.imageNotFound(repositoryName, ref);
    this.deps.pulls?.pulled(repositoryName, found.record.digest);
    return {
      digest: found.record.digest,
      mediaType: found.record.mediaType,
      size: found.bytes.length,
      bytes: found.bytes,
    };
  }

  /** HEAD /v2/<name>/manifests/<reference>. */
  async headManifest(repositoryName: string, reference: string): Promise<ManifestHead> {
    await this.deps.repositories.require(repositoryName);
    const ref = parseImageReference(reference);
    const digest = await this.resolve(repositoryName, ref);
    const record = digest ? await this.deps.images.getRecord(repositoryName, digest) : undefined;
    if (!record) throw this.imageNotFound(repositoryName, ref);
    return { digest: record.digest, mediaType: record.mediaType, size: record.manifestSize };
  }

  /**
   * DELETE /v2/<name>/manifests/<digest>: the manifest and every tag naming it. A manifest an
   * index of the repository lists is refused (ImageReferencedByManifestListError), as ECR's
   * BatchDeleteImage refuses it: no delete leaves an index dangling.
   */
  async deleteManifest(repositoryName: string, digest: string): Promise<void> {
    await this.deps.repositories.require(repositoryName);
    requireOciDigest(digest);
    const outcome = await this.deps.images.delete(repositoryName, digest, true);
    if (outcome.kind === 'referenced') {
      throw new ImageReferencedByManifestListError(
        `The manifest '${digest}' is listed by an image index in the repository '${repositoryName}'; delete the index first`,
      );
    }
    if (outcome.kind !== 'deleted') throw this.imageNotFound(repositoryName, { kind: 'digest', digest });
  }

  /** DELETE /v2/<name>/manifests/<tag>: only the tag; the manifest stays. */
  async deleteTag(repositoryName: string, tag: string): Promise<void> {
    await this.deps.repositories.require(repositoryName);
    requireTag(tag);
    const outcome = await this.deps.images.untag(repositoryName, tag);
    if (outcome.kind !== 'untagged') throw this.imageNotFound(repositoryName, { kind: 'tag', tag });
  }

  /** GET /v2/<name>/tags/list: tags in lexical order, `n` at most, after `last`. */
  async listTags(repositoryName: string, n?: number, last?: string): Promise<TagPage> {
    await this.deps.repositories.require(repositoryName);
    if (n === 0) return { name: repositoryName, tags: [] };
    const page = await this.deps.images.listTags(repositoryName, n ?? UNLIMITED, last);
    const next = page.more ? page.tags[page.tags.length - 1] : undefined;
    return { name: repositoryName, tags: page.tags, ...(next !== undefined ? { next } : {}) };
  }

  /**
   * GET /v2/<name>/referrers/<digest>: descriptors of the manifests whose `subject` is `digest`,
   * optionally only those of one artifact type. Neither the subject nor the repository need
   * exist: the spec's referrers API answers an empty list for them, never NAME_UNKNOWN.
   */
  async referrers(repositoryName: string, digest: string, artifactType?: string): Promise<ReferrerList> {
    requireOciDigest(digest);
    const filtersApplied = artifactType ? ['artifactType'] : [];
    if (!(await this.deps.repositoryStore.get(repositoryName))) return { manifests: [], filtersApplied };
    const records = await this.deps.images.referrers(repositoryName, digest);
    const matching = artifactType ? records.filter((r) => r.artifactType === artifactType) : records;
    return { manifests: matching.map(referrerDescriptor), filtersApplied };
  }

  /** GET /v2/_catalog: repository names in lexical order, `n` at most, after `last`; only those `include` keeps. */
  async catalog(n?: number, last?: string, include?: (repositoryName: string) => boolean): Promise<CatalogPage> {
    if (n === 0) return { repositories: [] };
    const page = await this.deps.repositoryStore.list(n ?? UNLIMITED, last, include);
    const repositories = page.repositories.map((r) => r.repositoryName);
    return { repositories, ...(page.nextAfter !== undefined ? { next: page.nextAfter } : {}) };
  }

  /** The image a reference names in the repository, if any. */
  async findImage(repositoryName: string, reference: ImageReference): Promise<ImageRecord | undefined> {
    const digest = await this.resolve(repositoryName, reference);
    return digest ? this.deps.images.getRecord(repositoryName, digest) : undefined;
  }

  /**
   * Stores a manifest a pull-through cache fetched from its upstream (already checked against its
   * digest), creating the repository on first pull; the tag, when given, is moved to it as the
   * upstream moved it. Its blobs need not be here yet; an index's child manifests must be.
   */
  async storeUpstream(
    repositoryName: string,
    bytes: Buffer,
    contentType: string,
    tag?: string,
  ): Promise<PutManifestResult> {
    const manifest = parseManifest(bytes, contentType);
    const repository = await this.deps.repositories.getOrCreate(repositoryName);
    return this.store(repository, manifest, bytes, tag, { rejectUnchanged: false, requireBlobs: false });
  }

  // ---- the ECR door ---------------------------------------------------------------------------

  /**
   * PutImage: never creates the repository. A push of a stored manifest with no tag, or with
   * the tag already naming it, is ImageAlreadyExistsException (ImageTagAlreadyExistsException
   * when the tag is immutable), as ECR answers.
   */
  async putImage(request: PutImageRequest): Promise<EcrImage> {
    const repository = await this.deps.repositories.require(request.repositoryName);
    const tag = request.imageTag === undefined ? undefined : requireTag(request.imageTag);
    if (request.imageDigest !== undefined) requireDigest(request.imageDigest);
    const bytes = Buffer.from(request.imageManifest, 'utf8');
    const manifest = parseManifest(bytes, request.imageManifestMediaType);
    if (request.imageDigest !== undefined) this.requireDigestMatches(request.imageDigest, manifest);
    const result = await this.store(repository, manifest, bytes, tag, { rejectUnchanged: true });
    return {
      registryId: this.deps.registryId,
      repositoryName: repository.repositoryName,
      imageId: { imageDigest: result.digest, ...(tag !== undefined ? { imageTag: tag } : {}) },
      imageManifest: request.imageManifest,
      imageManifestMediaType: result.mediaType,
    };
  }

  // ---- shared ---------------------------------------------------------------------------------

  /** The digest a reference names in the repository, if any. */
  async resolve(repositoryName: string, reference: ImageReference): Promise<string | undefined> {
    return reference.kind === 'digest' ? reference.digest : this.deps.images.resolveTag(repositoryName, reference.tag);
  }

  imageNotFound(repositoryName: string, reference: ImageReference): ImageNotFoundException {
    const digest = reference.kind === 'digest' ? `'${reference.digest}'` : 'null';
    const tag = reference.kind === 'tag' ? `'${reference.tag}'` : 'null';
    return new ImageNotFoundException(
      `The image with imageId {imageDigest:${digest}, imageTag:${tag}} does not exist within the repository with name '${repositoryName}' in the registry with id '${this.deps.registryId}'`,
    );
  }

  private requireDigestMatches(expected: string, manifest: ParsedManifest): void {
    if (expected !== manifest.digest) {
      throw new ImageDigestDoesNotMatchException(
        `The digest '${expected}' does not match the digest '${manifest.digest}' of the manifest`,
      );
    }
  }

  private async store(
    repository: RepositoryRecord,
    manifest: ParsedManifest,
    bytes: Buffer,
    tag: string | undefined,
    policy: StorePolicy,
  ): Promise<PutManifestResult> {
    const repositoryName = repository.repositoryName;
    const where = `repository with name '${repositoryName}' in the registry with id '${this.deps.registryId}'`;

    // Safe against a garbage collection under way: the blobs are pinned, then retained, and
    // only then checked and committed (the proof is in collect-garbage.ts in the worker).
    const named = referencedBlobs(manifest);
    if (named.length === 0) return this.commit(repository, manifest, bytes, tag, policy, where);
    const pin = await this.deps.blobReferences.pin(named);
    try {
      return await this.commit(repository, manifest, bytes, tag, policy, where);
    } finally {
      await this.deps.blobReferences.unpin(pin);
    }
  }

  private async commit(
    repository: RepositoryRecord,
    manifest: ParsedManifest,
    bytes: Buffer,
    tag: string | undefined,
    policy: StorePolicy,
    where: string,
  ): Promise<PutManifestResult> {
    const repositoryName = repository.repositoryName;
    const gone = await this.retainBlobs(referencedBlobs(manifest));
    const blobs = policy.requireBlobs === false ? [] : requiredBlobs(manifest);
    const links = await this.deps.layers.getMany(repositoryName, blobs);
    const missingBlobs = blobs.filter((digest, i) => !links[i] || gone.has(digest));
    if (missingBlobs.length > 0) {
      throw new ManifestBlobsNotFoundError(
        `Layers with digests '[${missingBlobs.join(', ')}]' required for pushing image into ${where} do not exist`,
      );
    }
    const children = [...new Set(manifest.manifests.map((m) => m.digest))];
    const childRecords = await this.deps.images.getRecords(repositoryName, children);
    const missingChildren = children.filter((_, i) => !childRecords[i]);
    if (missingChildren.length > 0) throw referencedImagesNotFound(missingChildren, where);

    const record: ImageRecord = {
      digest: manifest.digest,
      mediaType: manifest.mediaType,
      manifestSize: manifest.size,
      imageSizeInBytes: imageSizeInBytes(
        manifest,
        childRecords.map((r) => r?.imageSizeInBytes ?? 0),
      ),
      pushedAt: Date.now(),
      ...(manifest.config ? { configMediaType: manifest.config.mediaType } : {}),
      ...(children.length > 0 ? { children } : {}),
      ...(manifest.subject ? { subject: manifest.subject.digest } : {}),
      ...(referrerArtifactType(manifest) ? { artifactType: referrerArtifactType(manifest) } : {}),
      ...(manifest.annotations ? { annotations: manifest.annotations } : {}),
    };
    const outcome = await this.deps.images.put(repositoryName, {
      record,
      bytes,
      ...(tag !== undefined ? { tag } : {}),
      rejectUnchanged: policy.rejectUnchanged,
      tagImmutable: tag !== undefined && isTagImmutable(repository, tag),
    });
    switch (outcome.kind) {
      case 'missing-children':
        throw referencedImagesNotFound(outcome.digests, where);
      case 'exists':
        throw new ImageAlreadyExistsException(
          `Image with digest '${manifest.digest}'${tag !== undefined ? ` and tag '${tag}'` : ''} already exists in the ${where}`,
        );
      case 'tag-immutable':
        throw new ImageTagAlreadyExistsException(
          `The image tag '${tag}' already exists in the '${repositoryName}' repository and cannot be overwritten because the tag is immutable.`,
        );
      case 'put':
        // A forced DeleteRepository may have run between the repository check and the put:
        // then nothing of the repository may stay behind to reappear in a namesake.
        if (!(await this.deps.repositoryStore.get(repositoryName))) {
          await this.deps.images.dropRepository(repositoryName);
          // Still gone: RepositoryNotFoundException. Created again meanwhile: the push goes there.
          return this.store(await this.deps.repositories.require(repositoryName), manifest, bytes, tag, policy);
        }
        return {
          digest: manifest.digest,
          mediaType: manifest.mediaType,
          size: manifest.size,
          created: outcome.created,
          ...(manifest.subject ? { subject: manifest.subject.digest } : {}),
          ...(tag !== undefined ? { tag } : {}),
        };
    }
  }

  /**
   * Retains each blob (clearing a garbage collection's mark on it); answers those the collector
   * is deleting: a manifest may not be committed naming them. (A blob it deleted already has no
   * repository link any more: the link check after this finds it missing.)
   */
  private async retainBlobs(digests: string[]): Promise<Set<string>> {
    const gone = new Set<string>();
    await Promise.all(
      digests.map(async (digest) => {
        try {
          await this.deps.blobs.retain(digest);
        } catch (err) {
          if (!(err instanceof BlobBeingCollectedError)) throw err;
          gone.add(digest);
        }
      }),
    );
    return gone;
  }
}

function referencedImagesNotFound(digests: string[], where: string): ReferencedImagesNotFoundException {
  return new ReferencedImagesNotFoundException(
    `Manifests with digests '[${digests.join(', ')}]' referenced by the index do not exist in the ${where}`,
  );
}

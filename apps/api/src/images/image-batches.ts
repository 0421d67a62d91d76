import { isValidDigest, isValidTag, type ImageIdentifier, type ImageReference } from '@longshore/domain';
import type { ImageStore } from '@longshore/metadata';
import type { EcrImage, ImageFailure } from './image-service-types.js';

/** An imageId checked for shape: a reference to look up, or a failure to report. */
type CheckedId = { id: ImageIdentifier; digest?: string; tag?: string } | { failure: ImageFailure };

function checkId(id: ImageIdentifier): CheckedId {
  const fail = (failureCode: ImageFailure['failureCode'], failureReason: string) => ({
    failure: { imageId: id, failureCode, failureReason },
  });
  if (id.imageDigest === undefined && id.imageTag === undefined) {
    return fail('MissingDigestAndTag', 'Invalid request parameters: both tag and digest cannot be null');
  }
  if (id.imageDigest !== undefined && !isValidDigest(id.imageDigest)) {
    return fail(
      'InvalidImageDigest',
      'Invalid request parameters: image digest should be sha256:<64 lowercase hex digits>',
    );
  }
  if (id.imageTag !== undefined && !isValidTag(id.imageTag)) {
    return fail(
      'InvalidImageTag',
      'Invalid request parameters: image tag should match [a-zA-Z0-9_][a-zA-Z0-9._-]{0,127}',
    );
  }
  return { id, ...(id.imageDigest ? { digest: id.imageDigest } : {}), ...(id.imageTag ? { tag: id.imageTag } : {}) };
}

/** Identical imageIds are answered once, as ECR does. */
function distinct(ids: ImageIdentifier[]): ImageIdentifier[] {
  const seen = new Map<string, ImageIdentifier>();
  for (const id of ids) seen.set(`${id.imageDigest ?? ''}\n${id.imageTag ?? ''}`, id);
  return [...seen.values()];
}

type ValidId = Exclude<CheckedId, { failure: ImageFailure }>;

/** The distinct ids that are well formed; each malformed one is added to `failures`. */
function* checkedIds(
  ids: ImageIdentifier[],
  failures: ImageFailure[],
): Generator<{ requested: ImageIdentifier; checked: ValidId }> {
  for (const requested of distinct(ids)) {
    const checked = checkId(requested);
    if ('failure' in checked) failures.push(checked.failure);
    else yield { requested, checked };
  }
}

/** The image an id names: its digest, which its tag (if it names one too) must point at; or its tag's. */
async function digestNamed(
  scope: BatchScope,
  requested: ImageIdentifier,
  checked: ValidId,
): Promise<{ digest: string } | { failure: ImageFailure }> {
  if (checked.tag === undefined) return { digest: checked.digest! };
  const tagged = await scope.store.resolveTag(scope.repositoryName, checked.tag);
  if (tagged === undefined) return { failure: notFound(requested) };
  if (checked.digest !== undefined && tagged !== checked.digest) return { failure: tagMismatch(requested) };
  return { digest: tagged };
}

function notFound(imageId: ImageIdentifier): ImageFailure {
  return { imageId, failureCode: 'ImageNotFound', failureReason: 'Requested image not found' };
}

function tagMismatch(imageId: ImageIdentifier): ImageFailure {
  return {
    imageId,
    failureCode: 'ImageTagDoesNotMatchDigest',
    failureReason: 'Invalid request parameters: given tag does not map to the given digest',
  };
}

function referencedByIndex(imageId: ImageIdentifier): ImageFailure {
  return {
    imageId,
    failureCode: 'ImageReferencedByManifestList',
    failureReason: 'Requested image is referenced by an image index (manifest list) in the repository',
  };
}

export interface BatchScope {
  store: ImageStore;
  registryId: string;
  repositoryName: string;
  /** A manifest of the repository was pulled (BatchGetImage): records its pull time, without waiting. */
  pulled?(digest: string): void;
}

/** BatchGetImage: each requested image with its exact manifest, or a per-image failure. */
export async function batchGetImages(
  scope: BatchScope,
  ids: ImageIdentifier[],
  acceptedMediaTypes?: string[],
): Promise<{ images: EcrImage[]; failures: ImageFailure[] }> {
  const images: EcrImage[] = [];
  const failures: ImageFailure[] = [];
  for (const { requested, checked } of checkedIds(ids, failures)) {
    const named = await digestNamed(scope, requested, checked);
    if ('failure' in named) {
      failures.push(named.failure);
      continue;
    }
    const { digest } = named;
    const found = await scope.store.getManifest(scope.repositoryName, digest);
    if (!found) {
      failures.push(notFound(requested));
      continue;
    }
    if (acceptedMediaTypes && !acceptedMediaTypes.includes(found.record.mediaType)) {
      failures.push({
        imageId: requested,
        failureCode: 'ImageNotFound',
        failureReason: `The image's manifest media type '${found.record.mediaType}' is not among acceptedMediaTypes; Longshore does not convert manifests`,
      });
      continue;
    }
    images.push({
      registryId: scope.registryId,
      repositoryName: scope.repositoryName,
      imageId: { imageDigest: digest, ...(checked.tag !== undefined ? { imageTag: checked.tag } : {}) },
      imageManifest: found.bytes.toString('utf8'),
      imageManifestMediaType: found.record.mediaType,
    });
    scope.pulled?.(digest);
  }
  return { images, failures };
}

/**
 * BatchDeleteImage: a tag alone removes the tag, and the image with it when it was the image's
 * last tag (as ECR does); a digest deletes the image and all its tags, answered as one imageId
 * per tag. Deleting an image an index in the repository lists, or its last tag, is refused
 * (ImageReferencedByManifestList): no delete leaves an index dangling.
 */
export async function batchDeleteImages(
  scope: BatchScope,
  ids: ImageIdentifier[],
): Promise<{ imageIds: ImageIdentifier[]; failures: ImageFailure[] }> {
  const imageIds: ImageIdentifier[] = [];
  const failures: ImageFailure[] = [];
  for (const { requested, checked } of checkedIds(ids, failures)) {
    if (checked.digest === undefined) {
      const removed = await scope.store.deleteTag(scope.repositoryName, checked.tag!);
      if (removed.kind === 'not-found') failures.push(notFound(requested));
      else if (removed.kind === 'referenced') failures.push(referencedByIndex(requested));
      else imageIds.push({ imageDigest: removed.digest, imageTag: checked.tag! });
      continue;
    }
    const named = await digestNamed(scope, requested, checked);
    if ('failure' in named) {
      failures.push(named.failure);
      continue;
    }
    const deleted = await scope.store.delete(scope.repositoryName, checked.digest, true);
    if (deleted.kind === 'not-found') failures.push(notFound(requested));
    else if (deleted.kind === 'referenced') failures.push(referencedByIndex(requested));
    else if (deleted.tags.length === 0) imageIds.push({ imageDigest: checked.digest });
    else for (const imageTag of deleted.tags) imageIds.push({ imageDigest: checked.digest, imageTag });
  }
  return { imageIds, failures };
}

/** The reference an imageId names (digest first), for describe-by-id. */
export function referenceOf(id: ImageIdentifier): ImageReference | undefined {
  if (id.imageDigest !== undefined) return { kind: 'digest', digest: id.imageDigest };
  if (id.imageTag !== undefined) return { kind: 'tag', tag: id.imageTag };
  return undefined;
}

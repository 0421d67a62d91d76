import {
  AccessDeniedException,
  InvalidSignatureException,
  MissingAuthenticationTokenException,
  ThrottlingException,
  UnrecognizedClientException,
} from './auth-errors.js';
import { LongshoreError } from './longshore-error.js';

// One class per ECR exception the service can raise. The class name is the ECR `__type`.

export class ServerException extends LongshoreError {
  readonly name = 'ServerException';
  override get permanent(): boolean {
    return false;
  }
}

export class InvalidParameterException extends LongshoreError {
  readonly name = 'InvalidParameterException';
}

/** The request body is not JSON, or a field has the wrong JSON type (AWS's protocol error). */
export class SerializationException extends LongshoreError {
  readonly name = 'SerializationException';
}

/** The `X-Amz-Target` header is missing or names an operation this service does not serve. */
export class UnknownOperationException extends LongshoreError {
  readonly name = 'UnknownOperationException';
}

export class RepositoryNotFoundException extends LongshoreError {
  readonly name = 'RepositoryNotFoundException';
}

export class RepositoryAlreadyExistsException extends LongshoreError {
  readonly name = 'RepositoryAlreadyExistsException';
}

export class RepositoryNotEmptyException extends LongshoreError {
  readonly name = 'RepositoryNotEmptyException';
}

export class UploadNotFoundException extends LongshoreError {
  readonly name = 'UploadNotFoundException';
}

export interface InvalidLayerPartFields {
  registryId: string;
  repositoryName: string;
  uploadId: string;
  lastValidByteReceived: number;
}

export class InvalidLayerPartException extends LongshoreError {
  readonly name = 'InvalidLayerPartException';
  constructor(message: string, fields: InvalidLayerPartFields) {
    super(message, { ...fields });
  }
}

export class LimitExceededException extends LongshoreError {
  readonly name = 'LimitExceededException';
}

export class EmptyUploadException extends LongshoreError {
  readonly name = 'EmptyUploadException';
}

export class LayerPartTooSmallException extends LongshoreError {
  readonly name = 'LayerPartTooSmallException';
}

export class InvalidLayerException extends LongshoreError {
  readonly name = 'InvalidLayerException';
}

export class LayerAlreadyExistsException extends LongshoreError {
  readonly name = 'LayerAlreadyExistsException';
}

export class LayersNotFoundException extends LongshoreError {
  readonly name = 'LayersNotFoundException';
}

export class ImageAlreadyExistsException extends LongshoreError {
  readonly name = 'ImageAlreadyExistsException';
}

/** A tag of an immutable repository (or an immutable tag by exclusion filter) already names another image. */
export class ImageTagAlreadyExistsException extends LongshoreError {
  readonly name = 'ImageTagAlreadyExistsException';
}

export class ImageDigestDoesNotMatchException extends LongshoreError {
  readonly name = 'ImageDigestDoesNotMatchException';
}

/** An image index (manifest list) names child manifests the repository does not hold. */
export class ReferencedImagesNotFoundException extends LongshoreError {
  readonly name = 'ReferencedImagesNotFoundException';
}

export class ImageNotFoundException extends LongshoreError {
  readonly name = 'ImageNotFoundException';
}

/** A resource tag key or value that is empty, too long, or uses characters tags may not hold. */
export class InvalidTagParameterException extends LongshoreError {
  readonly name = 'InvalidTagParameterException';
}

/** A resource would carry more than 50 tags. */
export class TooManyTagsException extends LongshoreError {
  readonly name = 'TooManyTagsException';
}

// Domain errors that are not ECR exceptions of their own: the wire table answers each on the
// ECR wire as the exception its `ecrType` names, and lets other wires (OCI) tell them apart.

/** The manifest is not JSON, not a known manifest format, or contradicts its declared media type. */
export class InvalidManifestError extends LongshoreError {
  readonly name = 'InvalidManifest';
}

/** The manifest is larger than the 4 MiB Longshore (like distribution and ECR) accepts. */
export class ManifestTooLargeError extends LongshoreError {
  readonly name = 'ManifestTooLarge';
}

/** A manifest's config or layer blobs are not in the repository. */
export class ManifestBlobsNotFoundError extends LongshoreError {
  readonly name = 'ManifestBlobsNotFound';
}

/** A tag that does not match `[a-zA-Z0-9_][a-zA-Z0-9._-]{0,127}`. */
export class InvalidImageTagError extends LongshoreError {
  readonly name = 'InvalidImageTag';
}

/** A digest that is not `sha256:<64 lowercase hex>`. */
export class InvalidImageDigestError extends LongshoreError {
  readonly name = 'InvalidImageDigest';
}

/**
 * A manifest an image index of the repository lists may not be deleted (nor its last tag, on
 * ECR): no delete leaves an index dangling. ECR's BatchDeleteImage answers it as the per-image
 * failure `ImageReferencedByManifestList`; /v2 as `DENIED` 409.
 */
export class ImageReferencedByManifestListError extends LongshoreError {
  readonly name = 'ImageReferencedByManifestList';
}

/**
 * A request body stopped arriving (no bytes for PART_IDLE_TIMEOUT_MS) or took longer than
 * PART_MAX_DURATION_MS. Not an ECR exception: AWS's generic one, which the AWS SDKs retry.
 */
export class RequestTimeoutException extends LongshoreError {
  readonly name = 'RequestTimeoutException';
  override get permanent(): boolean {
    return false;
  }
}

/** A pull-through cache rule with this ecrRepositoryPrefix exists already. */
export class PullThroughCacheRuleAlreadyExistsException extends LongshoreError {
  readonly name = 'PullThroughCacheRuleAlreadyExistsException';
}

/** No pull-through cache rule has this ecrRepositoryPrefix. */
export class PullThroughCacheRuleNotFoundException extends LongshoreError {
  readonly name = 'PullThroughCacheRuleNotFoundException';
}

/** The upstream registry URL is not one Longshore can pull through (not http or https, a path, credentials in it). */
export class UnsupportedUpstreamRegistryException extends LongshoreError {
  readonly name = 'UnsupportedUpstreamRegistryException';
}

/** A rule's credentialArn names no entry of UPSTREAM_CREDENTIALS_FILE. */
export class SecretNotFoundException extends LongshoreError {
  readonly name = 'SecretNotFoundException';
}

export class LifecyclePolicyNotFoundException extends LongshoreError {
  readonly name = 'LifecyclePolicyNotFoundException';
}

export class LifecyclePolicyPreviewNotFoundException extends LongshoreError {
  readonly name = 'LifecyclePolicyPreviewNotFoundException';
}

export class LifecyclePolicyPreviewInProgressException extends LongshoreError {
  readonly name = 'LifecyclePolicyPreviewInProgressException';
}

const byName = {
  ServerException,
  RequestTimeoutException,
  InvalidParameterException,
  SerializationException,
  UnknownOperationException,
  RepositoryNotFoundException,
  RepositoryAlreadyExistsException,
  RepositoryNotEmptyException,
  UploadNotFoundException,
  InvalidLayerPartException,
  LimitExceededException,
  EmptyUploadException,
  LayerPartTooSmallException,
  InvalidLayerException,
  LayerAlreadyExistsException,
  LayersNotFoundException,
  MissingAuthenticationTokenException,
  UnrecognizedClientException,
  InvalidSignatureException,
  AccessDeniedException,
  ThrottlingException,
  ImageAlreadyExistsException,
  ImageTagAlreadyExistsException,
  ImageDigestDoesNotMatchException,
  ReferencedImagesNotFoundException,
  ImageNotFoundException,
  PullThroughCacheRuleAlreadyExistsException,
  PullThroughCacheRuleNotFoundException,
  UnsupportedUpstreamRegistryException,
  SecretNotFoundException,
  LifecyclePolicyNotFoundException,
  LifecyclePolicyPreviewNotFoundException,
  LifecyclePolicyPreviewInProgressException,
  InvalidTagParameterException,
  TooManyTagsException,
  InvalidManifest: InvalidManifestError,
  ManifestTooLarge: ManifestTooLargeError,
  ManifestBlobsNotFound: ManifestBlobsNotFoundError,
  InvalidImageTag: InvalidImageTagError,
  InvalidImageDigest: InvalidImageDigestError,
  ImageReferencedByManifestList: ImageReferencedByManifestListError,
} as const;

export type EcrErrorName = keyof typeof byName;

export const ecrErrorNames = Object.keys(byName) as EcrErrorName[];

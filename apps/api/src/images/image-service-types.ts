import type { Descriptor, ImageIdentifier, TagStatus } from '@longshore/domain';

/** What a stored manifest put answers: the /v2 door sets `Location`, `Docker-Content-Digest`, `OCI-Subject`. */
export interface PutManifestResult {
  digest: string;
  mediaType: string;
  /** Bytes of the manifest. */
  size: number;
  /** The digest the manifest's `subject` names (the /v2 door answers it as `OCI-Subject`). */
  subject?: string;
  /** The tag now naming the manifest, when one was given. */
  tag?: string;
  /** False when the manifest was already stored (only its tag may have changed). */
  created: boolean;
}

/** A manifest as HEAD answers it. */
export interface ManifestHead {
  digest: string;
  mediaType: string;
  size: number;
}

/** A manifest as GET answers it: the exact bytes that were pushed. */
export interface ManifestContent extends ManifestHead {
  bytes: Buffer;
}

/** One page of a repository's tags, lexically ordered. */
export interface TagPage {
  name: string;
  tags: string[];
  /** The last tag of this page when more follow (the /v2 `Link` continues after it). */
  next?: string;
}

/** One page of repository names, lexically ordered. */
export interface CatalogPage {
  repositories: string[];
  /** The last name of this page when more follow. */
  next?: string;
}

/** The referrers of a manifest (GET /v2/<name>/referrers/<digest>). */
export interface ReferrerList {
  /** OCI descriptors, each with `artifactType` (the manifest's, else its config's media type) and `annotations`. */
  manifests: Descriptor[];
  /** Filters applied (`artifactType`), for the `OCI-Filters-Applied` header. */
  filtersApplied: string[];
}

/** ECR PutImage's request, once validated against the model. */
export interface PutImageRequest {
  repositoryName: string;
  imageManifest: string;
  imageManifestMediaType?: string;
  imageTag?: string;
  imageDigest?: string;
}

export type ImageFailureCode =
  | 'InvalidImageDigest'
  | 'InvalidImageTag'
  | 'ImageTagDoesNotMatchDigest'
  | 'ImageNotFound'
  | 'MissingDigestAndTag'
  | 'ImageReferencedByManifestList';

export interface ImageFailure {
  imageId: ImageIdentifier;
  failureCode: ImageFailureCode;
  failureReason: string;
}

/** ECR's Image shape. */
export interface EcrImage {
  registryId: string;
  repositoryName: string;
  imageId: ImageIdentifier;
  imageManifest: string;
  imageManifestMediaType: string;
}

/** ECR's ImageDetail shape (timestamps in epoch seconds, as AWS JSON 1.1 sends them). */
export interface EcrImageDetail {
  registryId: string;
  repositoryName: string;
  imageDigest: string;
  imageTags?: string[];
  imageSizeInBytes: number;
  imagePushedAt: number;
  imageManifestMediaType: string;
  artifactMediaType?: string;
  subjectManifestDigest?: string;
  imageStatus: 'ACTIVE';
  /** Epoch seconds of the last recorded manifest pull (at most one write per PULL_RECORD_INTERVAL_SECONDS). */
  lastRecordedPullTime?: number;
}

export interface ImageListingRequest {
  tagStatus?: TagStatus;
  imageStatus?: string;
  maxResults?: number;
  nextToken?: string;
}

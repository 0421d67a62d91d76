import { InvalidParameterException, type ImageIdentifier } from '@longshore/domain';
import type { ImageStore, TagStatusFilter, TaggedImage } from '@longshore/metadata';
import type { EcrImageDetail, ImageListingRequest } from './image-service-types.js';

/** ECR's page size when a request names no maxResults (DescribeImages and ListImages). */
export const DEFAULT_IMAGE_PAGE = 100;

export interface ListingScope {
  store: ImageStore;
  registryId: string;
  repositoryName: string;
}

/** Every stored image is ACTIVE: another imageStatus filter matches none. */
function matchesNone(request: ImageListingRequest): boolean {
  return request.imageStatus !== undefined && request.imageStatus !== 'ACTIVE' && request.imageStatus !== 'ANY';
}

function tagStatus(request: ImageListingRequest): TagStatusFilter {
  return request.tagStatus ?? 'ANY';
}

/** Next tokens are the sort key of the last entry answered, opaque to clients. */
function encodeToken(key: string): string {
  return Buffer.from(key, 'utf8').toString('base64url');
}

function decodeToken(token: string | undefined): string | undefined {
  if (token === undefined) return undefined;
  const key = Buffer.from(token, 'base64url').toString('utf8');
  if (!/^sha256:[a-f0-9]{64} /.test(key)) throw new InvalidParameterException("Invalid parameter at 'nextToken'");
  return key;
}

/** The digest a key ("<digest> <tag>" or "<digest> ") starts with. */
function digestOf(key: string): string {
  return key.slice(0, key.indexOf(' '));
}

/**
 * ListImages: one imageId per tag of a tagged image, one digest-only imageId per untagged image,
 * in "<digest> <tag>" order, a page at a time from the repository's ordered listing index.
 */
export async function listImageIds(
  scope: ListingScope,
  request: ImageListingRequest,
): Promise<{ imageIds: ImageIdentifier[]; nextToken?: string }> {
  const after = decodeToken(request.nextToken);
  if (matchesNone(request)) return { imageIds: [] };
  const limit = request.maxResults ?? DEFAULT_IMAGE_PAGE;
  const { entries, more } = await scope.store.listingPage(scope.repositoryName, tagStatus(request), limit, after);
  const imageIds = entries.map(({ digest, tag }) =>
    tag === undefined ? { imageDigest: digest } : { imageDigest: digest, imageTag: tag },
  );
  const last = entries[entries.length - 1];
  return { imageIds, ...(more && last ? { nextToken: encodeToken(last.key) } : {}) };
}

export function imageDetail(scope: ListingScope, { record, tags }: TaggedImage): EcrImageDetail {
  return {
    registryId: scope.registryId,
    repositoryName: scope.repositoryName,
    imageDigest: record.digest,
    ...(tags.length > 0 ? { imageTags: tags } : {}),
    imageSizeInBytes: record.imageSizeInBytes,
    imagePushedAt: record.pushedAt / 1000,
    imageManifestMediaType: record.mediaType,
    ...(record.configMediaType ? { artifactMediaType: record.configMediaType } : {}),
    ...(record.subject ? { subjectManifestDigest: record.subject } : {}),
    imageStatus: 'ACTIVE',
  };
}

/** DescribeImages without imageIds: every image (filtered), ordered by digest, a page at a time (only its records read). */
export async function describeImagePage(
  scope: ListingScope,
  request: ImageListingRequest,
): Promise<{ imageDetails: EcrImageDetail[]; nextToken?: string }> {
  const after = decodeToken(request.nextToken);
  if (matchesNone(request)) return { imageDetails: [] };
  const limit = request.maxResults ?? DEFAULT_IMAGE_PAGE;
  const { images, more, last } = await scope.store.imagePage(
    scope.repositoryName,
    tagStatus(request),
    limit,
    after === undefined ? undefined : digestOf(after),
  );
  return {
    imageDetails: images.map((image) => imageDetail(scope, image)),
    ...(more && last ? { nextToken: encodeToken(`${last} `) } : {}),
  };
}

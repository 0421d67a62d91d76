import { InvalidParameterException, type ImageIdentifier } from '@longshore/domain';
import type { ImageStore, TaggedImage } from '@longshore/metadata';
import type { EcrImageDetail, ImageListingRequest } from './image-service-types.js';

/** ECR's page size when a request names no maxResults (DescribeImages and ListImages). */
export const DEFAULT_IMAGE_PAGE = 100;

export interface ListingScope {
  store: ImageStore;
  registryId: string;
  repositoryName: string;
}

/** Tag-status and image-status filters; every stored image is ACTIVE. */
function keep(image: TaggedImage, request: ImageListingRequest): boolean {
  if (request.imageStatus && request.imageStatus !== 'ACTIVE' && request.imageStatus !== 'ANY') return false;
  if (request.tagStatus === 'TAGGED') return image.tags.length > 0;
  if (request.tagStatus === 'UNTAGGED') return image.tags.length === 0;
  return true;
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

function page<T extends { key: string }>(
  entries: T[],
  request: ImageListingRequest,
): { items: T[]; nextToken?: string } {
  const after = decodeToken(request.nextToken);
  const limit = request.maxResults ?? DEFAULT_IMAGE_PAGE;
  const start = after === undefined ? 0 : entries.findIndex((e) => e.key > after);
  const items = start < 0 ? [] : entries.slice(start, start + limit);
  const more = start >= 0 && start + limit < entries.length;
  return { items, ...(more ? { nextToken: encodeToken(items[items.length - 1]!.key) } : {}) };
}

/** ListImages: one imageId per tag of a tagged image, one digest-only imageId per untagged image. */
export async function listImageIds(
  scope: ListingScope,
  request: ImageListingRequest,
): Promise<{ imageIds: ImageIdentifier[]; nextToken?: string }> {
  const images = (await scope.store.all(scope.repositoryName)).filter((image) => keep(image, request));
  const entries = images.flatMap(({ record, tags }) =>
    tags.length === 0
      ? [{ key: `${record.digest} `, id: { imageDigest: record.digest } as ImageIdentifier }]
      : tags.map((imageTag) => ({ key: `${record.digest} ${imageTag}`, id: { imageDigest: record.digest, imageTag } })),
  );
  const { items, nextToken } = page(entries, request);
  return { imageIds: items.map((e) => e.id), ...(nextToken ? { nextToken } : {}) };
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

/** DescribeImages without imageIds: every image (filtered), ordered by digest, a page at a time. */
export async function describeImagePage(
  scope: ListingScope,
  request: ImageListingRequest,
): Promise<{ imageDetails: EcrImageDetail[]; nextToken?: string }> {
  const images = (await scope.store.all(scope.repositoryName)).filter((image) => keep(image, request));
  const { items, nextToken } = page(
    images.map((image) => ({ key: `${image.record.digest} `, image })),
    request,
  );
  return { imageDetails: items.map((e) => imageDetail(scope, e.image)), ...(nextToken ? { nextToken } : {}) };
}

import {
  InvalidParameterException,
  requireDigest,
  requireTag,
  type EcrInputs,
  type ImageIdentifier,
} from '@longshore/domain';
import { batchDeleteImages, batchGetImages, referenceOf } from '../../images/image-batches.js';
import { describeImagePage, imageDetail, listImageIds } from '../../images/image-listings.js';
import type { ImageService, TaggedImage } from '../../images/image-service.js';
import type { RepositoryService } from '../../repositories/repository-service.js';

export interface ImageOperationDeps {
  repositories: RepositoryService;
  images: ImageService;
}

type ImageOperation =
  | 'PutImage'
  | 'BatchGetImage'
  | 'BatchDeleteImage'
  | 'DescribeImages'
  | 'ListImages'
  | 'PutImageTagMutability';

/** ECR's image operations, onto the image service and store both doors share. */
export function createImageOperations(deps: ImageOperationDeps): {
  [O in ImageOperation]: (input: EcrInputs[O]) => Promise<object>;
} {
  const { repositories, images } = deps;
  const scope = async (repositoryName: string) => {
    await repositories.require(repositoryName);
    return images.scopeOf(repositoryName);
  };

  return {
    async PutImage(input) {
      return { image: await images.putImage(input) };
    },

    async BatchGetImage(input) {
      return batchGetImages(await scope(input.repositoryName), input.imageIds, input.acceptedMediaTypes);
    },

    async BatchDeleteImage(input) {
      return batchDeleteImages(await scope(input.repositoryName), input.imageIds);
    },

    async DescribeImages(input) {
      const s = await scope(input.repositoryName);
      const request = {
        ...(input.filter?.tagStatus ? { tagStatus: input.filter.tagStatus } : {}),
        ...(input.filter?.imageStatus ? { imageStatus: input.filter.imageStatus } : {}),
        ...(input.maxResults !== undefined ? { maxResults: input.maxResults } : {}),
        ...(input.nextToken !== undefined ? { nextToken: input.nextToken } : {}),
      };
      if (!input.imageIds) {
        const page = await describeImagePage(s, request);
        return { ...page, imageDetails: await images.withPullTimes(input.repositoryName, page.imageDetails) };
      }
      if (input.maxResults !== undefined || input.nextToken !== undefined) {
        throw new InvalidParameterException(
          "Invalid parameter at 'imageIds': cannot be combined with maxResults or nextToken",
        );
      }
      const details = new Map<string, TaggedImage>();
      for (const id of input.imageIds) {
        const reference = checkedReference(id);
        const record = await images.findImage(input.repositoryName, reference);
        if (!record) throw images.imageNotFound(input.repositoryName, reference);
        details.set(record.digest, { record, tags: [] });
      }
      const digests = [...details.keys()];
      const tags = await images.tagsOf(input.repositoryName, digests);
      return {
        imageDetails: await images.withPullTimes(
          input.repositoryName,
          digests.map((digest, i) => imageDetail(s, { record: details.get(digest)!.record, tags: tags[i]! })),
        ),
      };
    },

    async ListImages(input) {
      return listImageIds(await scope(input.repositoryName), {
        ...(input.filter?.tagStatus ? { tagStatus: input.filter.tagStatus } : {}),
        ...(input.filter?.imageStatus ? { imageStatus: input.filter.imageStatus } : {}),
        ...(input.maxResults !== undefined ? { maxResults: input.maxResults } : {}),
        ...(input.nextToken !== undefined ? { nextToken: input.nextToken } : {}),
      });
    },

    async PutImageTagMutability(input) {
      const registryId = images.registryId;
      const record = await repositories.setTagMutability(
        input.repositoryName,
        input.imageTagMutability,
        input.imageTagMutabilityExclusionFilters,
      );
      return {
        registryId,
        repositoryName: record.repositoryName,
        imageTagMutability: record.imageTagMutability,
        ...(record.imageTagMutabilityExclusionFilters
          ? { imageTagMutabilityExclusionFilters: record.imageTagMutabilityExclusionFilters }
          : {}),
      };
    },
  };
}

/** DescribeImages by id: a malformed id is an InvalidParameterException for the whole request. */
function checkedReference(id: ImageIdentifier) {
  if (id.imageDigest !== undefined) requireDigest(id.imageDigest);
  if (id.imageTag !== undefined) requireTag(id.imageTag);
  const reference = referenceOf(id);
  if (!reference) {
    throw new InvalidParameterException("Invalid parameter at 'imageIds': an imageId needs imageDigest or imageTag");
  }
  return reference;
}

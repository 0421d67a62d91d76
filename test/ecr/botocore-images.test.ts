import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startLongshore, type Longshore } from '../support/longshore-harness.js';
import { runBotocoreDriver } from '../support/run-botocore-driver.js';

interface CaughtError {
  code: string | null;
  message?: string;
  httpStatus?: number;
  isModeledClass?: boolean;
  className?: string;
  unexpectedResult?: string;
}

const errorNames = [
  'ImageAlreadyExistsException',
  'ImageDigestDoesNotMatchException',
  'LayersNotFoundException',
  'ReferencedImagesNotFoundException',
  'ImageNotFoundException',
  'InvalidParameterException',
  'RepositoryNotFoundException',
  'ImageTagAlreadyExistsException',
] as const;

type BotocoreImageResults = Record<(typeof errorNames)[number], CaughtError> & {
  botocoreVersion: string;
  manifestDigest: string;
  putImage: { imageId: { imageDigest: string; imageTag?: string }; imageManifestMediaType: string };
  batchGetImage: { manifestsEqual: boolean[]; failureCodes: string[] };
  describeImages: {
    imageDigest: string;
    imageTags: string[];
    imageSizeInBytes: number;
    imagePushedAtIsDatetime: boolean;
    imageManifestMediaType: string;
    artifactMediaType: string;
  };
  listImages: { imageDigest: string; imageTag?: string }[];
  putImageTagMutability: string;
  batchDeleteImage: { imageIds: { imageDigest: string; imageTag?: string }[]; failureCodes: string[] };
};

describe('botocore (the AWS CLI and boto3) drives the image operations', () => {
  let longshore: Longshore;
  let results: BotocoreImageResults;
  const repositoryName = 'botocore/images';

  beforeAll(async () => {
    longshore = await startLongshore();
    results = await runBotocoreDriver<BotocoreImageResults>('botocore-images.py', [longshore.endpoint, repositoryName]);
  });
  afterAll(() => longshore?.close());

  it('PutImage, BatchGetImage, DescribeImages and ListImages answer in the modeled shapes', () => {
    const digest = results.manifestDigest;
    expect(digest).toMatch(/^sha256:[0-9a-f]{64}$/);
    expect(results.putImage).toEqual({
      imageId: { imageDigest: digest, imageTag: 'v1' },
      imageManifestMediaType: 'application/vnd.oci.image.manifest.v1+json',
    });
    expect(results.batchGetImage).toEqual({ manifestsEqual: [true], failureCodes: ['ImageNotFound'] });
    expect(results.describeImages).toEqual({
      imageDigest: digest,
      imageTags: ['v1'],
      imageSizeInBytes: 3000,
      imagePushedAtIsDatetime: true,
      imageManifestMediaType: 'application/vnd.oci.image.manifest.v1+json',
      artifactMediaType: 'application/vnd.oci.image.config.v1+json',
    });
    expect(results.listImages).toEqual([{ imageDigest: digest, imageTag: 'v1' }]);
  });

  it('PutImageTagMutability and BatchDeleteImage', () => {
    expect(results.putImageTagMutability).toBe('IMMUTABLE');
    expect(results.batchDeleteImage).toEqual({
      imageIds: [{ imageDigest: results.manifestDigest, imageTag: 'v1' }],
      failureCodes: ['ImageNotFound'],
    });
  });

  it.each(errorNames)('%s is raised as its modeled class', (name) => {
    expect(results[name]).toMatchObject({ code: name, httpStatus: 400, isModeledClass: true, className: name });
  });
});

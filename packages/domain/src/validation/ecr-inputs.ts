/**
 * The validated inputs of the ECR operations Longshore serves, as `validateEcrInput` returns
 * them. Field names are the model's; a member is optional unless the model requires it.
 */

import type {
  CreatePullThroughCacheRuleInput,
  DeletePullThroughCacheRuleInput,
  DescribePullThroughCacheRulesInput,
  UpdatePullThroughCacheRuleInput,
  ValidatePullThroughCacheRuleInput,
} from './pull-through-inputs.js';

export const servedOperations = [
  'CreateRepository',
  'DescribeRepositories',
  'DeleteRepository',
  'InitiateLayerUpload',
  'UploadLayerPart',
  'CompleteLayerUpload',
  'BatchCheckLayerAvailability',
  'GetDownloadUrlForLayer',
  'GetAuthorizationToken',
  'PutImage',
  'BatchGetImage',
  'BatchDeleteImage',
  'DescribeImages',
  'ListImages',
  'PutImageTagMutability',
  'CreatePullThroughCacheRule',
  'DescribePullThroughCacheRules',
  'UpdatePullThroughCacheRule',
  'DeletePullThroughCacheRule',
  'ValidatePullThroughCacheRule',
  'PutLifecyclePolicy',
  'GetLifecyclePolicy',
  'DeleteLifecyclePolicy',
  'StartLifecyclePolicyPreview',
  'GetLifecyclePolicyPreview',
  'TagResource',
  'UntagResource',
  'ListTagsForResource',
] as const;

export type EcrOperation = (typeof servedOperations)[number];

export function isEcrOperation(name: string): name is EcrOperation {
  return (servedOperations as readonly string[]).includes(name);
}

export interface Tag {
  Key: string;
  Value: string;
}

export type ImageTagMutability = 'MUTABLE' | 'IMMUTABLE' | 'IMMUTABLE_WITH_EXCLUSION' | 'MUTABLE_WITH_EXCLUSION';

export interface ImageTagMutabilityExclusionFilter {
  filterType: 'WILDCARD';
  filter: string;
}

export interface ImageScanningConfiguration {
  scanOnPush?: boolean;
}

export type EncryptionType = 'AES256' | 'KMS' | 'KMS_DSSE';

export interface EncryptionConfiguration {
  encryptionType: EncryptionType;
  kmsKey?: string;
}

export interface CreateRepositoryInput {
  registryId?: string;
  repositoryName: string;
  tags?: Tag[];
  imageTagMutability?: ImageTagMutability;
  imageTagMutabilityExclusionFilters?: ImageTagMutabilityExclusionFilter[];
  imageScanningConfiguration?: ImageScanningConfiguration;
  encryptionConfiguration?: EncryptionConfiguration;
}

export interface DescribeRepositoriesInput {
  registryId?: string;
  repositoryNames?: string[];
  nextToken?: string;
  maxResults?: number;
}

export interface DeleteRepositoryInput {
  registryId?: string;
  repositoryName: string;
  force?: boolean;
}

export interface InitiateLayerUploadInput {
  registryId?: string;
  repositoryName: string;
}

export interface UploadLayerPartInput {
  registryId?: string;
  repositoryName: string;
  uploadId: string;
  partFirstByte: number;
  partLastByte: number;
  /** Decoded from the request's base64; at most 20971520 bytes. */
  layerPartBlob: Buffer;
}

export interface CompleteLayerUploadInput {
  registryId?: string;
  repositoryName: string;
  uploadId: string;
  layerDigests: string[];
}

export interface BatchCheckLayerAvailabilityInput {
  registryId?: string;
  repositoryName: string;
  /** Not pattern-checked by the model: a malformed digest is a per-item failure. */
  layerDigests: string[];
}

export interface GetDownloadUrlForLayerInput {
  registryId?: string;
  repositoryName: string;
  layerDigest: string;
}

export interface GetAuthorizationTokenInput {
  /** Deprecated by ECR: the token covers every registry the key may access. */
  registryIds?: string[];
}

export interface ImageIdentifier {
  imageDigest?: string;
  imageTag?: string;
}

export type TagStatus = 'TAGGED' | 'UNTAGGED' | 'ANY';
export type ImageStatusFilter = 'ACTIVE' | 'ARCHIVED' | 'ACTIVATING' | 'ANY';

export interface PutImageInput {
  registryId?: string;
  repositoryName: string;
  imageManifest: string;
  imageManifestMediaType?: string;
  imageTag?: string;
  imageDigest?: string;
}

export interface BatchGetImageInput {
  registryId?: string;
  repositoryName: string;
  imageIds: ImageIdentifier[];
  acceptedMediaTypes?: string[];
}

export interface BatchDeleteImageInput {
  registryId?: string;
  repositoryName: string;
  imageIds: ImageIdentifier[];
}

export interface DescribeImagesInput {
  registryId?: string;
  repositoryName: string;
  imageIds?: ImageIdentifier[];
  nextToken?: string;
  maxResults?: number;
  filter?: { tagStatus?: TagStatus; imageStatus?: ImageStatusFilter };
}

export interface ListImagesInput {
  registryId?: string;
  repositoryName: string;
  nextToken?: string;
  maxResults?: number;
  filter?: { tagStatus?: TagStatus; imageStatus?: ImageStatusFilter };
}

export interface PutImageTagMutabilityInput {
  registryId?: string;
  repositoryName: string;
  imageTagMutability: ImageTagMutability;
  imageTagMutabilityExclusionFilters?: ImageTagMutabilityExclusionFilter[];
}

export interface PutLifecyclePolicyInput {
  registryId?: string;
  repositoryName: string;
  lifecyclePolicyText: string;
}

export interface LifecyclePolicyRepositoryInput {
  registryId?: string;
  repositoryName: string;
}

export interface StartLifecyclePolicyPreviewInput {
  registryId?: string;
  repositoryName: string;
  lifecyclePolicyText?: string;
}

export interface GetLifecyclePolicyPreviewInput {
  registryId?: string;
  repositoryName: string;
  imageIds?: ImageIdentifier[];
  nextToken?: string;
  maxResults?: number;
  filter?: { tagStatus?: TagStatus };
}

export interface TagResourceInput {
  resourceArn: string;
  tags: Tag[];
}

export interface UntagResourceInput {
  resourceArn: string;
  tagKeys: string[];
}

export interface ListTagsForResourceInput {
  resourceArn: string;
}

export interface EcrInputs {
  CreateRepository: CreateRepositoryInput;
  DescribeRepositories: DescribeRepositoriesInput;
  DeleteRepository: DeleteRepositoryInput;
  InitiateLayerUpload: InitiateLayerUploadInput;
  UploadLayerPart: UploadLayerPartInput;
  CompleteLayerUpload: CompleteLayerUploadInput;
  BatchCheckLayerAvailability: BatchCheckLayerAvailabilityInput;
  GetDownloadUrlForLayer: GetDownloadUrlForLayerInput;
  GetAuthorizationToken: GetAuthorizationTokenInput;
  PutImage: PutImageInput;
  BatchGetImage: BatchGetImageInput;
  BatchDeleteImage: BatchDeleteImageInput;
  DescribeImages: DescribeImagesInput;
  ListImages: ListImagesInput;
  PutImageTagMutability: PutImageTagMutabilityInput;
  CreatePullThroughCacheRule: CreatePullThroughCacheRuleInput;
  DescribePullThroughCacheRules: DescribePullThroughCacheRulesInput;
  UpdatePullThroughCacheRule: UpdatePullThroughCacheRuleInput;
  DeletePullThroughCacheRule: DeletePullThroughCacheRuleInput;
  ValidatePullThroughCacheRule: ValidatePullThroughCacheRuleInput;
  PutLifecyclePolicy: PutLifecyclePolicyInput;
  GetLifecyclePolicy: LifecyclePolicyRepositoryInput;
  DeleteLifecyclePolicy: LifecyclePolicyRepositoryInput;
  StartLifecyclePolicyPreview: StartLifecyclePolicyPreviewInput;
  GetLifecyclePolicyPreview: GetLifecyclePolicyPreviewInput;
  TagResource: TagResourceInput;
  UntagResource: UntagResourceInput;
  ListTagsForResource: ListTagsForResourceInput;
}

// Compile-time guard against drift: each input names exactly the members of its model shape
// (an operation whose input does not is named in the type error).
type ModelShapes = typeof import('../ecr-api-model.json', { with: { type: 'json' }})['shapes'];
type SameKeys<A, B> = [keyof A] extends [keyof B] ? ([keyof B] extends [keyof A] ? true : false) : false;
type DriftedOperation = {
  [O in EcrOperation]: SameKeys<EcrInputs[O], ModelShapes[`${O}Request`]['members']> extends true ? never : O;
}[EcrOperation];
const inputsMatchModel: [DriftedOperation] extends [never] ? true : DriftedOperation = true;
void inputsMatchModel;

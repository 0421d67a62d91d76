export { LongshoreError } from './errors/longshore-error.js';
export {
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
  InvalidManifestError,
  ManifestTooLargeError,
  ManifestBlobsNotFoundError,
  InvalidImageTagError,
  InvalidImageDigestError,
  ImageReferencedByManifestListError,
  ecrErrorNames,
  type EcrErrorName,
  type InvalidLayerPartFields,
} from './errors/ecr-errors.js';
export {
  MissingAuthenticationTokenException,
  UnrecognizedClientException,
  InvalidSignatureException,
  AccessDeniedException,
  ThrottlingException,
} from './errors/auth-errors.js';
export { prepareEcrInputValidators, validateEcrInput } from './validation/validate-ecr-input.js';
export { prepareShapeValidator, validateShape, type ValidateShapeOptions } from './validation/validate-shape.js';
export { RequestValidationError } from './validation/validation-error.js';
export { RequestSerializationError } from './validation/request-serialization-error.js';
export {
  servedOperations,
  isEcrOperation,
  type EcrOperation,
  type EcrInputs,
  type CreateRepositoryInput,
  type DescribeRepositoriesInput,
  type DeleteRepositoryInput,
  type InitiateLayerUploadInput,
  type UploadLayerPartInput,
  type CompleteLayerUploadInput,
  type BatchCheckLayerAvailabilityInput,
  type GetDownloadUrlForLayerInput,
  type GetAuthorizationTokenInput,
  type PutImageInput,
  type BatchGetImageInput,
  type BatchDeleteImageInput,
  type DescribeImagesInput,
  type ListImagesInput,
  type PutImageTagMutabilityInput,
  type TagResourceInput,
  type UntagResourceInput,
  type ListTagsForResourceInput,
  type ImageIdentifier,
  type TagStatus,
} from './validation/ecr-inputs.js';
export type {
  UpstreamRegistry,
  CreatePullThroughCacheRuleInput,
  DescribePullThroughCacheRulesInput,
  UpdatePullThroughCacheRuleInput,
  DeletePullThroughCacheRuleInput,
  ValidatePullThroughCacheRuleInput,
} from './validation/pull-through-inputs.js';
export {
  wireTable,
  wireEntry,
  ecrType,
  ociAnswer,
  type WireEntry,
  type OciAnswer,
  type OciEntry,
  type OciErrorCode,
  type OciRouteFamily,
  type DomainErrorName,
} from './wire/wire-table.js';
export {
  RouteNotFoundError,
  MethodNotAllowedError,
  DownloadUrlExpiredError,
  DownloadSignatureInvalidError,
  RangeNotSatisfiableError,
  DigestInvalidError,
  NameInvalidError,
  SizeInvalidError,
  UnsupportedOperationError,
  type HttpErrorName,
  StorageBusyError,
} from './errors/http-errors.js';
export { isCallbackAllowed } from './callback-allowlist.js';
export * from './images/index.js';
export * from './lifecycle/index.js';
export {
  FINISHED_UPLOAD_STATUSES,
  INLINE_HASH_MAX_BYTES,
  isUploadFinished,
  parseUploadId,
  type UploadStatus,
} from './uploads/upload-rules.js';
export {
  RefusedError,
  isRefusal,
  type RefusalCode,
  type RefusalFacts,
  type RefusalRecord,
} from './errors/refusal.js';
export { readRefusalRecord, wordRefusal } from './wire/refusal-wording.js';
export { toStatusDocument, type UploadStatusDocument, type UploadStatusFacts } from './uploads/upload-rules.js';
export { MAX_PART_NUMBER } from './uploads/upload-limits.js';

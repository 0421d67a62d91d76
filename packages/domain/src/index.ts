export { LongshoreError, type ErrorRecord } from './errors/longshore-error.js';
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
  errorFromRecord,
  ecrErrorNames,
  type EcrErrorName,
  type InvalidLayerPartFields,
} from './errors/ecr-errors.js';
export { validateEcrInput } from './validation/validate-ecr-input.js';
export { validateShape, type ValidateShapeOptions } from './validation/validate-shape.js';
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
} from './validation/ecr-inputs.js';
export { wireTable, wireEntry, type WireEntry } from './wire/wire-table.js';
export { isCallbackAllowed } from './callback-allowlist.js';

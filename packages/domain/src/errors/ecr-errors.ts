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
} as const;

export type EcrErrorName = keyof typeof byName;

export const ecrErrorNames = Object.keys(byName) as EcrErrorName[];

/**
 * Rebuilds a domain error from its stored record. Across a process boundary (a job result, a
 * status record) `instanceof` is lost, so this is the one place that goes by name.
 */
export function errorFromRecord(record: {
  name: string;
  message: string;
  fields?: Record<string, string | number>;
}): LongshoreError {
  // Every class takes (message, fields); the record's fields are the ones it was stored with.
  const ErrorClass = (byName as unknown as Record<string, new (m: string, f: object) => LongshoreError>)[record.name];
  if (!ErrorClass) return new ServerException(record.message);
  return new ErrorClass(record.message, record.fields ?? {});
}

import type { EcrErrorName } from '../errors/ecr-errors.js';

/**
 * The one table that turns domain errors into wire errors (domain errors themselves know nothing
 * of HTTP): the HTTP status of the ECR (AWS JSON
 * 1.1) answer, and the stable code and status of the JSON status API under /v1.
 */
export interface WireEntry {
  /** HTTP status of the ECR answer: 400 for client errors, 500 for ServerException. */
  ecrStatus: number;
  /** Stable, documented code of the /v1 error envelope. */
  code: string;
  /** HTTP status of the /v1 answer. */
  httpStatus: number;
}

export const wireTable: Record<EcrErrorName, WireEntry> = {
  ServerException: { ecrStatus: 500, code: 'INTERNAL_ERROR', httpStatus: 500 },
  RequestTimeoutException: { ecrStatus: 408, code: 'REQUEST_TIMEOUT', httpStatus: 408 },
  InvalidParameterException: { ecrStatus: 400, code: 'VALIDATION_ERROR', httpStatus: 400 },
  SerializationException: { ecrStatus: 400, code: 'VALIDATION_ERROR', httpStatus: 400 },
  UnknownOperationException: { ecrStatus: 400, code: 'UNKNOWN_OPERATION', httpStatus: 404 },
  RepositoryNotFoundException: { ecrStatus: 400, code: 'REPOSITORY_NOT_FOUND', httpStatus: 404 },
  RepositoryAlreadyExistsException: { ecrStatus: 400, code: 'REPOSITORY_ALREADY_EXISTS', httpStatus: 409 },
  RepositoryNotEmptyException: { ecrStatus: 400, code: 'REPOSITORY_NOT_EMPTY', httpStatus: 409 },
  UploadNotFoundException: { ecrStatus: 400, code: 'UPLOAD_NOT_FOUND', httpStatus: 404 },
  InvalidLayerPartException: { ecrStatus: 400, code: 'INVALID_LAYER_PART', httpStatus: 416 },
  LimitExceededException: { ecrStatus: 400, code: 'LIMIT_EXCEEDED', httpStatus: 413 },
  EmptyUploadException: { ecrStatus: 400, code: 'EMPTY_UPLOAD', httpStatus: 400 },
  LayerPartTooSmallException: { ecrStatus: 400, code: 'LAYER_PART_TOO_SMALL', httpStatus: 400 },
  InvalidLayerException: { ecrStatus: 400, code: 'INVALID_LAYER', httpStatus: 422 },
  LayerAlreadyExistsException: { ecrStatus: 400, code: 'LAYER_ALREADY_EXISTS', httpStatus: 409 },
  LayersNotFoundException: { ecrStatus: 400, code: 'LAYER_NOT_FOUND', httpStatus: 404 },
};

export function wireEntry(name: string): WireEntry {
  return wireTable[name as EcrErrorName] ?? wireTable.ServerException;
}

import type { EcrErrorName } from '../errors/ecr-errors.js';
import type { HttpErrorName } from '../errors/http-errors.js';

/**
 * Error codes of the OCI Distribution API (distribution-spec v1.1, "Error Codes"), plus two of the
 * reference implementation's (CNCF distribution): `RANGE_INVALID` (416) and `UNKNOWN` (5xx). The
 * spec binds 4xx bodies to its list; 416 for a bad range is what it asks for, with that code.
 * `UNAVAILABLE` (503) is the reference implementation's "service unavailable, retry later".
 */
export type OciErrorCode =
  | 'BLOB_UNKNOWN'
  | 'BLOB_UPLOAD_INVALID'
  | 'BLOB_UPLOAD_UNKNOWN'
  | 'DIGEST_INVALID'
  | 'MANIFEST_BLOB_UNKNOWN'
  | 'MANIFEST_INVALID'
  | 'MANIFEST_UNKNOWN'
  | 'NAME_INVALID'
  | 'NAME_UNKNOWN'
  | 'SIZE_INVALID'
  | 'UNAUTHORIZED'
  | 'DENIED'
  | 'UNSUPPORTED'
  | 'TOOMANYREQUESTS'
  | 'RANGE_INVALID'
  | 'UNAVAILABLE'
  | 'UNKNOWN';

/** The code and HTTP status of one OCI error answer. */
export interface OciAnswer {
  code: OciErrorCode;
  status: number;
}

/**
 * The family of /v2 routes a request was served by. Some domain errors mean different things on
 * different routes (a missing layer is BLOB_UNKNOWN on a blob route but MANIFEST_BLOB_UNKNOWN on
 * a manifest push); the door names the family, the table decides.
 */
export type OciRouteFamily = 'base' | 'blob' | 'upload' | 'manifest' | 'tags' | 'referrers' | 'catalog';

export interface OciEntry extends OciAnswer {
  /** Answers that replace the default on some route families. */
  on?: Partial<Record<OciRouteFamily, OciAnswer>>;
}

/**
 * The one table that turns domain errors into wire errors (domain errors themselves know nothing
 * of HTTP): the HTTP status of the ECR (AWS JSON 1.1) answer, the stable code and status of the
 * JSON status API under /v1 (and the download URLs), and the OCI code and status under /v2.
 */
export interface WireEntry {
  /** HTTP status of the ECR answer: 400 for client errors, 500 for ServerException. */
  ecrStatus: number;
  /** Stable, documented code of the /v1 error envelope. */
  code: string;
  /** HTTP status of the /v1 answer. */
  httpStatus: number;
  /** Code and status of the OCI Distribution answer (`/v2`). */
  oci: OciEntry;
  /** The ECR exception (`__type`) answered for a domain error that is not one itself. */
  ecrType?: EcrErrorName;
}

export type DomainErrorName = EcrErrorName | HttpErrorName;

const oci = (code: OciErrorCode, status: number, on?: OciEntry['on']): OciEntry => ({
  code,
  status,
  ...(on ? { on } : {}),
});

export const wireTable: Record<DomainErrorName, WireEntry> = {
  ServerException: { ecrStatus: 500, code: 'INTERNAL_ERROR', httpStatus: 500, oci: oci('UNKNOWN', 500) },
  RequestTimeoutException: {
    ecrStatus: 408,
    code: 'REQUEST_TIMEOUT',
    httpStatus: 408,
    oci: oci('BLOB_UPLOAD_INVALID', 408),
  },
  InvalidParameterException: {
    ecrStatus: 400,
    code: 'VALIDATION_ERROR',
    httpStatus: 400,
    oci: oci('BLOB_UPLOAD_INVALID', 400, { manifest: { code: 'MANIFEST_INVALID', status: 400 } }),
  },
  SerializationException: {
    ecrStatus: 400,
    code: 'VALIDATION_ERROR',
    httpStatus: 400,
    oci: oci('BLOB_UPLOAD_INVALID', 400, { manifest: { code: 'MANIFEST_INVALID', status: 400 } }),
  },
  UnknownOperationException: {
    ecrStatus: 400,
    code: 'UNKNOWN_OPERATION',
    httpStatus: 404,
    oci: oci('UNSUPPORTED', 404),
  },
  RepositoryNotFoundException: {
    ecrStatus: 400,
    code: 'REPOSITORY_NOT_FOUND',
    httpStatus: 404,
    oci: oci('NAME_UNKNOWN', 404),
  },
  RepositoryAlreadyExistsException: {
    ecrStatus: 400,
    code: 'REPOSITORY_ALREADY_EXISTS',
    httpStatus: 409,
    oci: oci('UNSUPPORTED', 409),
  },
  RepositoryNotEmptyException: {
    ecrStatus: 400,
    code: 'REPOSITORY_NOT_EMPTY',
    httpStatus: 409,
    oci: oci('UNSUPPORTED', 409),
  },
  UploadNotFoundException: {
    ecrStatus: 400,
    code: 'UPLOAD_NOT_FOUND',
    httpStatus: 404,
    oci: oci('BLOB_UPLOAD_UNKNOWN', 404),
  },
  InvalidLayerPartException: {
    ecrStatus: 400,
    code: 'INVALID_LAYER_PART',
    httpStatus: 416,
    oci: oci('RANGE_INVALID', 416),
  },
  LimitExceededException: { ecrStatus: 400, code: 'LIMIT_EXCEEDED', httpStatus: 413, oci: oci('SIZE_INVALID', 413) },
  EmptyUploadException: { ecrStatus: 400, code: 'EMPTY_UPLOAD', httpStatus: 400, oci: oci('BLOB_UPLOAD_INVALID', 400) },
  LayerPartTooSmallException: {
    ecrStatus: 400,
    code: 'LAYER_PART_TOO_SMALL',
    httpStatus: 400,
    oci: oci('BLOB_UPLOAD_INVALID', 400),
  },
  InvalidLayerException: { ecrStatus: 400, code: 'INVALID_LAYER', httpStatus: 422, oci: oci('DIGEST_INVALID', 400) },
  LayerAlreadyExistsException: {
    ecrStatus: 400,
    code: 'LAYER_ALREADY_EXISTS',
    httpStatus: 409,
    oci: oci('BLOB_UPLOAD_INVALID', 409),
  },
  LayersNotFoundException: {
    ecrStatus: 400,
    code: 'LAYER_NOT_FOUND',
    httpStatus: 404,
    oci: oci('BLOB_UNKNOWN', 404, { manifest: { code: 'MANIFEST_BLOB_UNKNOWN', status: 404 } }),
  },
  ImageAlreadyExistsException: {
    ecrStatus: 400,
    code: 'IMAGE_ALREADY_EXISTS',
    httpStatus: 409,
    oci: oci('UNSUPPORTED', 409),
  },
  ImageTagAlreadyExistsException: {
    ecrStatus: 400,
    code: 'IMAGE_TAG_ALREADY_EXISTS',
    httpStatus: 409,
    oci: oci('DENIED', 409),
  },
  ImageDigestDoesNotMatchException: {
    ecrStatus: 400,
    code: 'IMAGE_DIGEST_MISMATCH',
    httpStatus: 400,
    oci: oci('DIGEST_INVALID', 400),
  },
  ReferencedImagesNotFoundException: {
    ecrStatus: 400,
    code: 'REFERENCED_IMAGES_NOT_FOUND',
    httpStatus: 404,
    oci: oci('MANIFEST_BLOB_UNKNOWN', 404),
  },
  ImageNotFoundException: {
    ecrStatus: 400,
    code: 'IMAGE_NOT_FOUND',
    httpStatus: 404,
    oci: oci('MANIFEST_UNKNOWN', 404),
  },
  PullThroughCacheRuleAlreadyExistsException: {
    ecrStatus: 400,
    code: 'PULL_THROUGH_CACHE_RULE_ALREADY_EXISTS',
    httpStatus: 409,
    oci: oci('UNSUPPORTED', 409),
  },
  PullThroughCacheRuleNotFoundException: {
    ecrStatus: 400,
    code: 'PULL_THROUGH_CACHE_RULE_NOT_FOUND',
    httpStatus: 404,
    oci: oci('NAME_UNKNOWN', 404),
  },
  UnsupportedUpstreamRegistryException: {
    ecrStatus: 400,
    code: 'UNSUPPORTED_UPSTREAM_REGISTRY',
    httpStatus: 400,
    oci: oci('UNSUPPORTED', 400),
  },
  SecretNotFoundException: { ecrStatus: 400, code: 'SECRET_NOT_FOUND', httpStatus: 400, oci: oci('UNSUPPORTED', 400) },
  LifecyclePolicyNotFoundException: {
    ecrStatus: 400,
    code: 'LIFECYCLE_POLICY_NOT_FOUND',
    httpStatus: 404,
    oci: oci('UNSUPPORTED', 404),
  },
  LifecyclePolicyPreviewNotFoundException: {
    ecrStatus: 400,
    code: 'LIFECYCLE_POLICY_PREVIEW_NOT_FOUND',
    httpStatus: 404,
    oci: oci('UNSUPPORTED', 404),
  },
  LifecyclePolicyPreviewInProgressException: {
    ecrStatus: 400,
    code: 'LIFECYCLE_POLICY_PREVIEW_IN_PROGRESS',
    httpStatus: 409,
    oci: oci('UNSUPPORTED', 409),
  },
  // Resource tags exist on the ECR door only; /v1 and /v2 never raise these.
  InvalidTagParameterException: {
    ecrStatus: 400,
    code: 'INVALID_TAG_PARAMETER',
    httpStatus: 400,
    oci: oci('UNSUPPORTED', 400),
  },
  TooManyTagsException: { ecrStatus: 400, code: 'TOO_MANY_TAGS', httpStatus: 400, oci: oci('UNSUPPORTED', 400) },
  // Domain errors answered on the ECR wire as the exception `ecrType` names.
  InvalidManifest: {
    ecrStatus: 400,
    code: 'VALIDATION_ERROR',
    httpStatus: 400,
    ecrType: 'InvalidParameterException',
    oci: oci('MANIFEST_INVALID', 400),
  },
  ManifestTooLarge: {
    ecrStatus: 400,
    code: 'LIMIT_EXCEEDED',
    httpStatus: 413,
    ecrType: 'InvalidParameterException',
    oci: oci('SIZE_INVALID', 413),
  },
  ManifestBlobsNotFound: {
    ecrStatus: 400,
    code: 'LAYER_NOT_FOUND',
    httpStatus: 404,
    ecrType: 'LayersNotFoundException',
    oci: oci('MANIFEST_BLOB_UNKNOWN', 404),
  },
  InvalidImageTag: {
    ecrStatus: 400,
    code: 'VALIDATION_ERROR',
    httpStatus: 400,
    ecrType: 'InvalidParameterException',
    oci: oci('MANIFEST_INVALID', 400),
  },
  InvalidImageDigest: {
    ecrStatus: 400,
    code: 'VALIDATION_ERROR',
    httpStatus: 400,
    ecrType: 'InvalidParameterException',
    oci: oci('DIGEST_INVALID', 400),
  },
  ImageReferencedByManifestList: {
    ecrStatus: 400,
    code: 'IMAGE_REFERENCED_BY_MANIFEST_LIST',
    httpStatus: 409,
    ecrType: 'InvalidParameterException',
    oci: oci('DENIED', 409),
  },
  // Authentication and permissions: the statuses AWS JSON 1.1 services answer with; 401/403 on /v1 and /v2.
  MissingAuthenticationTokenException: {
    ecrStatus: 403,
    code: 'UNAUTHORIZED',
    httpStatus: 401,
    oci: oci('UNAUTHORIZED', 401),
  },
  UnrecognizedClientException: { ecrStatus: 403, code: 'UNAUTHORIZED', httpStatus: 401, oci: oci('UNAUTHORIZED', 401) },
  InvalidSignatureException: { ecrStatus: 403, code: 'UNAUTHORIZED', httpStatus: 401, oci: oci('UNAUTHORIZED', 401) },
  AccessDeniedException: { ecrStatus: 400, code: 'DENIED', httpStatus: 403, oci: oci('DENIED', 403) },
  ThrottlingException: { ecrStatus: 400, code: 'TOOMANYREQUESTS', httpStatus: 429, oci: oci('TOOMANYREQUESTS', 429) },
  // Not ECR exceptions (never answered on the ECR wire; the ECR status is for completeness).
  RouteNotFoundError: { ecrStatus: 400, code: 'NOT_FOUND', httpStatus: 404, oci: oci('UNSUPPORTED', 404) },
  MethodNotAllowedError: {
    ecrStatus: 400,
    code: 'METHOD_NOT_ALLOWED',
    httpStatus: 405,
    oci: oci('UNSUPPORTED', 405),
  },
  DownloadUrlExpiredError: { ecrStatus: 400, code: 'URL_EXPIRED', httpStatus: 403, oci: oci('DENIED', 403) },
  DownloadSignatureInvalidError: {
    ecrStatus: 400,
    code: 'SIGNATURE_INVALID',
    httpStatus: 403,
    oci: oci('DENIED', 403),
  },
  RangeNotSatisfiableError: {
    ecrStatus: 400,
    code: 'RANGE_NOT_SATISFIABLE',
    httpStatus: 416,
    oci: oci('RANGE_INVALID', 416),
  },
  DigestInvalidError: { ecrStatus: 400, code: 'VALIDATION_ERROR', httpStatus: 400, oci: oci('DIGEST_INVALID', 400) },
  NameInvalidError: { ecrStatus: 400, code: 'VALIDATION_ERROR', httpStatus: 400, oci: oci('NAME_INVALID', 400) },
  SizeInvalidError: { ecrStatus: 400, code: 'VALIDATION_ERROR', httpStatus: 400, oci: oci('SIZE_INVALID', 400) },
  UnsupportedOperationError: {
    ecrStatus: 400,
    code: 'UNSUPPORTED',
    httpStatus: 400,
    oci: oci('UNSUPPORTED', 400),
  },
  // Retryable on every wire: 503 + Retry-After; on ECR a ThrottlingException, which the SDKs retry.
  StorageBusyError: {
    ecrStatus: 503,
    ecrType: 'ThrottlingException',
    code: 'SERVICE_UNAVAILABLE',
    httpStatus: 503,
    oci: oci('UNAVAILABLE', 503),
  },
};

/** The ECR exception name (`__type`) a domain error is answered as on the ECR wire. */
export function ecrType(name: string): string {
  const entry = wireTable[name as DomainErrorName];
  return entry ? (entry.ecrType ?? name) : 'ServerException';
}

export function wireEntry(name: string): WireEntry {
  return wireTable[name as DomainErrorName] ?? wireTable.ServerException;
}

/** The OCI code and status of an error raised on a route of `family`. */
export function ociAnswer(name: string, family: OciRouteFamily): OciAnswer {
  const entry = wireEntry(name).oci;
  const answer = entry.on?.[family] ?? entry;
  return { code: answer.code, status: answer.status };
}

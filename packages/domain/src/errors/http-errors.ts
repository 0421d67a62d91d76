import { LongshoreError, RetryAfterError } from './longshore-error.js';

// Domain errors that are not ECR exceptions: conditions only the HTTP doors (/v1, downloads,
// /v2) can meet. Like the ECR errors they know nothing of HTTP; the wire table maps them.

/** No route serves this path. */
export class RouteNotFoundError extends LongshoreError {
  readonly name = 'RouteNotFoundError';
}

/** The path is served, but not with this method. */
export class MethodNotAllowedError extends LongshoreError {
  readonly name = 'MethodNotAllowedError';
}

/** A signed download URL whose lifetime has passed. */
export class DownloadUrlExpiredError extends LongshoreError {
  readonly name = 'DownloadUrlExpiredError';
}

/** A download URL whose signature does not verify. */
export class DownloadSignatureInvalidError extends LongshoreError {
  readonly name = 'DownloadSignatureInvalidError';
}

/** A `Range` request header that no byte of the content satisfies; `size` is the content's length. */
export class RangeNotSatisfiableError extends LongshoreError {
  readonly name = 'RangeNotSatisfiableError';
  constructor(message: string, fields: { size: number }) {
    super(message, { ...fields });
  }
}

/** A digest that is malformed, of an unsupported algorithm, or that does not match the content. */
export class DigestInvalidError extends LongshoreError {
  readonly name = 'DigestInvalidError';
}

/** A repository name that does not match the repository name pattern. */
export class NameInvalidError extends LongshoreError {
  readonly name = 'NameInvalidError';
}

/** A declared length (Content-Length, Content-Range) that does not match the content sent. */
export class SizeInvalidError extends LongshoreError {
  readonly name = 'SizeInvalidError';
}

/** A request this registry does not serve in this form (a content type, a parameter combination). */
export class UnsupportedOperationError extends LongshoreError {
  readonly name = 'UnsupportedOperationError';
}

/**
 * The storage behind the registry is throttling (an object store's SlowDown) and kept doing so
 * through every retry; nothing was lost, and the same request succeeds later. Every wire answers
 * it as retryable: 503 with Retry-After (ECR: a ThrottlingException, which the AWS SDKs retry).
 */
export class StorageBusyError extends RetryAfterError {
  readonly name = 'StorageBusyError';
}

const httpErrors = {
  RouteNotFoundError,
  MethodNotAllowedError,
  DownloadUrlExpiredError,
  DownloadSignatureInvalidError,
  RangeNotSatisfiableError,
  DigestInvalidError,
  NameInvalidError,
  SizeInvalidError,
  UnsupportedOperationError,
  StorageBusyError,
} as const;

export type HttpErrorName = keyof typeof httpErrors;

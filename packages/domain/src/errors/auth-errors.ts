import { LongshoreError, RetryAfterError } from './longshore-error.js';

// The errors AWS JSON 1.1 services (ECR among them) answer when a caller is not authenticated,
// not allowed, or too insistent. The class name is the `__type` the SDKs raise.

/** The request carries no credentials at all (no SigV4 `Authorization`, no token). */
export class MissingAuthenticationTokenException extends LongshoreError {
  readonly name = 'MissingAuthenticationTokenException';
}

/** The access key id (or the key a login token names) is not known to this service. */
export class UnrecognizedClientException extends LongshoreError {
  readonly name = 'UnrecognizedClientException';
}

/** The signature does not match, the signed date is too far off, or a login token is forged or expired. */
export class InvalidSignatureException extends LongshoreError {
  readonly name = 'InvalidSignatureException';
}

/** The caller is known, but its permissions do not allow this action on this repository. */
export class AccessDeniedException extends LongshoreError {
  readonly name = 'AccessDeniedException';
}

/** Too many failed authentications (or the key's request quota is spent); retry after `retryAfterSeconds`. */
export class ThrottlingException extends RetryAfterError {
  readonly name = 'ThrottlingException';
}

import type { Response } from 'express';
import type { LongshoreError, OciRouteFamily } from '@longshore/domain';
import { sendEcrError } from '../ecr/ecr-wire.js';
import { sendV1Error } from '../v1/send-v1-error.js';
import { sendOciError } from '../v2/send-oci-error.js';
import type { Wire } from './wire-of.js';

export interface ErrorAnswerContext {
  /** The /v2 route family the error arose on (its code and status depend on it); `base` if unknown. */
  family?: OciRouteFamily;
  /** The realm of the /v2 `WWW-Authenticate: Basic` challenge a 401 carries. */
  challengeRealm?: () => string;
}

/**
 * A domain error on its wire: the one place `Retry-After` is decided (the error carries
 * `retryAfterSeconds`); the body, status and authentication challenge are the wire's.
 */
export function sendError(wire: Wire, res: Response, error: LongshoreError, context: ErrorAnswerContext = {}): void {
  setRetryAfter(res, error);
  if (wire === 'ecr') sendEcrError(res, error);
  else if (wire === 'v2') sendOciError(res, error, context.family ?? 'base', context.challengeRealm);
  else sendV1Error(res, error);
}

/** `Retry-After` for an error that names when to come back (every door's answer, the console's pages too). */
export function setRetryAfter(res: Response, error: Pick<LongshoreError, 'retryAfterSeconds'>): void {
  if (error.retryAfterSeconds !== undefined) res.set('Retry-After', String(error.retryAfterSeconds));
}

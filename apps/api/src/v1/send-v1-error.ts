import type { Response } from 'express';
import { RequestSerializationError, RequestValidationError, wireEntry, type LongshoreError } from '@longshore/domain';
import { sendEnvelopeError } from '../http/envelope.js';

/**
 * A domain error in the /v1 envelope: code and status from the shared wire table, the Bearer
 * challenge on a 401. Answered through sendError (errors/send-error.ts), which adds `Retry-After`.
 */
export function sendV1Error(res: Response, error: LongshoreError): void {
  const entry = wireEntry(error.name);
  const extra: Record<string, unknown> = {};
  if (error instanceof RequestValidationError || error instanceof RequestSerializationError) extra.field = error.field;
  if (Object.keys(error.fields).length > 0) extra.details = error.fields;
  if (entry.httpStatus === 401) res.set('WWW-Authenticate', 'Bearer realm="longshore"');
  sendEnvelopeError(res, entry.httpStatus, entry.code, error.message, extra);
}

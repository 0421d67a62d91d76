import type { Response } from 'express';
import { ecrType, wireEntry, type LongshoreError } from '@longshore/domain';

export const AMZ_JSON = 'application/x-amz-json-1.1';

export function sendEcrResult(res: Response, body: object): void {
  res.status(200).type(AMZ_JSON).send(JSON.stringify(body));
}

/**
 * AWS JSON 1.1 error: the name in `x-amzn-ErrorType` and `__type`, the message and the
 * exception's modeled fields in the body, so the SDKs raise the named class with its fields.
 * Answered through sendError (errors/send-error.ts), which adds `Retry-After`.
 */
export function sendEcrError(res: Response, error: LongshoreError): void {
  const type = ecrType(error.name);
  res
    .status(wireEntry(error.name).ecrStatus)
    .type(AMZ_JSON)
    .set('x-amzn-ErrorType', type)
    .send(JSON.stringify({ __type: type, message: error.message, ...error.fields }));
}

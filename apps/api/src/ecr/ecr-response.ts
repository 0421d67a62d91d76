import type { Response } from 'express';
import { StorageBusyError, ThrottlingException, ecrType, wireEntry, type LongshoreError } from '@longshore/domain';

export const AMZ_JSON = 'application/x-amz-json-1.1';

export function sendEcrResult(res: Response, body: object): void {
  res.status(200).type(AMZ_JSON).send(JSON.stringify(body));
}

/**
 * AWS JSON 1.1 error: the name in `x-amzn-ErrorType` and `__type`, the message and the
 * exception's modeled fields in the body, so the SDKs raise the named class with its fields.
 */
export function sendEcrError(res: Response, error: LongshoreError): void {
  if (error instanceof ThrottlingException || error instanceof StorageBusyError)
    res.set('Retry-After', String(error.retryAfterSeconds));
  const type = ecrType(error.name);
  res
    .status(wireEntry(error.name).ecrStatus)
    .type(AMZ_JSON)
    .set('x-amzn-ErrorType', type)
    .send(JSON.stringify({ __type: type, message: error.message, ...error.fields }));
}

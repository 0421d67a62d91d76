import type { Response } from 'express';
import { StorageBusyError, ociAnswer, type LongshoreError, type OciRouteFamily } from '@longshore/domain';

/**
 * A domain error on the OCI Distribution wire: `{"errors":[{"code","message","detail"}]}`, with
 * the code and status the shared wire table gives for the route family it arose on. The
 * exception's modeled fields, if any, are the `detail`.
 */
export function sendOciError(res: Response, error: LongshoreError, family: OciRouteFamily): void {
  const { code, status } = ociAnswer(error.name, family);
  const detail = Object.keys(error.fields).length > 0 ? { ...error.fields } : undefined;
  if (error instanceof StorageBusyError) res.set('Retry-After', String(error.retryAfterSeconds));
  res
    .status(status)
    .type('application/json')
    .send(JSON.stringify({ errors: [{ code, message: error.message, ...(detail ? { detail } : {}) }] }));
}

import type { Response } from 'express';
import { ociAnswer, type LongshoreError, type OciRouteFamily } from '@longshore/domain';

/**
 * A domain error on the OCI Distribution wire: `{"errors":[{"code","message","detail"}]}`, with
 * the code and status the shared wire table gives for the route family it arose on. The
 * exception's modeled fields, if any, are the `detail`. A 401 carries the registry's
 * `WWW-Authenticate: Basic` challenge, as ECR's registry sends it. Answered through sendError
 * (errors/send-error.ts), which adds `Retry-After`.
 */
export function sendOciError(
  res: Response,
  error: LongshoreError,
  family: OciRouteFamily,
  challengeRealm?: () => string,
): void {
  const { code, status } = ociAnswer(error.name, family);
  const detail = Object.keys(error.fields).length > 0 ? { ...error.fields } : undefined;
  if (status === 401 && challengeRealm) {
    res.setHeader('WWW-Authenticate', `Basic realm="${challengeRealm()}/",service="ecr.amazonaws.com"`);
  }
  res
    .status(status)
    .type('application/json')
    .send(JSON.stringify({ errors: [{ code, message: error.message, ...(detail ? { detail } : {}) }] }));
}

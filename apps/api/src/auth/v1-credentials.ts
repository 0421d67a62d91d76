import type { Request } from 'express';
import { type Principal, SIGV4_ALGORITHM, UNSIGNED_PAYLOAD, unrestricted } from '@longshore/auth';
import { MissingAuthenticationTokenException } from '@longshore/domain';
import { noteCaller } from '../http/request-facts.js';
import { type AuthGate, knockOf } from './auth-gate.js';
import { rawBodySha256, signedRequestOf } from './signed-request.js';

/**
 * The /v1 door's credentials: `Authorization: Bearer <login token>` (the token
 * GetAuthorizationToken issues, as for `docker login`), or SigV4. A streamed body (raw part
 * uploads) is signed as `X-Amz-Content-Sha256: UNSIGNED-PAYLOAD`, as S3 allows: the part's own
 * checksums and the layer digest protect its bytes.
 */
export async function authenticateV1(auth: AuthGate, req: Request, body: 'parsed' | 'streamed'): Promise<Principal> {
  const principal = await provenCaller(auth, req, body);
  noteCaller(req, principal);
  return principal;
}

async function provenCaller(auth: AuthGate, req: Request, body: 'parsed' | 'streamed'): Promise<Principal> {
  if (!auth.enabled) return unrestricted;
  const knock = knockOf('v1', req);
  const header = req.get('authorization') ?? '';
  const bearer = /^Bearer\s+(\S+)$/i.exec(header);
  if (bearer) return auth.token(knock, bearer[1]!);
  if (header.startsWith(`${SIGV4_ALGORITHM} `)) {
    const payload = body === 'streamed' ? UNSIGNED_PAYLOAD : rawBodySha256(req);
    return auth.sigv4(knock, signedRequestOf(req, payload));
  }
  const error = new MissingAuthenticationTokenException(
    'Missing Authentication Token: send `Authorization: Bearer <token>` (from GetAuthorizationToken) or sign the request with SigV4',
  );
  await auth.refused(knock, error);
  throw error;
}

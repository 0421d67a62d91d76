import type { Request, Response } from 'express';
import { LOGIN_USERNAME, type Principal, anonymous, unrestricted } from '@longshore/auth';
import { UnrecognizedClientException } from '@longshore/domain';
import { noteCaller } from '../http/request-facts.js';
import { type AuthGate, knockOf } from './auth-gate.js';
import {
  CATALOG_FILTER_ACTION,
  IMPORT_UPSTREAM_ACTION,
  MOUNT_SOURCE_ACTION,
  PULL_OPERATIONS,
  v2PermissionFor,
} from './v2-permission.js';

/** What the /v2 dispatcher tells the hook about a request it is about to serve. */
export interface V2Request {
  req: Request;
  res: Response;
  /** The operation's name (`v2.GetManifest`, ...). */
  operation: string;
  /** The repository the path names ('' for the ping and the catalog). */
  repository: string;
}

export type V2Authorizer = (request: V2Request) => Promise<void>;

/** Which repositories a listing may show the caller (`res.locals.listed`, set for the catalog). */
export type RepositoryFilter = (repositoryName: string) => boolean;

/**
 * The /v2 door's authentication, as ECR's registry does it: `Authorization: Basic
 * base64(AWS:<token>)` with a login token from GetAuthorizationToken (`aws ecr get-login-password
 * | docker login --username AWS --password-stdin`). Without credentials, only pulls from
 * `anonymousPull` repositories are served; everything else is `401 UNAUTHORIZED` (the /v2 wire
 * adds the `WWW-Authenticate: Basic realm=...` challenge), and a key that may not is `403 DENIED`.
 * A cross-repository mount from a repository the caller may not pull from falls back to an
 * ordinary upload (`res.locals.mountAllowed = false`). The catalog learns which repositories it
 * may list from `res.locals.listed`.
 */
export function registryBasicAuth(auth: AuthGate): V2Authorizer {
  return async ({ req, res, operation, repository }) => {
    const principal = await principalOf(auth, req);
    noteCaller(req, principal);
    const permission = v2PermissionFor(operation, repository);
    if (!permission) {
      if (principal.kind === 'anonymous') auth.permissions.require(principal, 'ecr:BatchGetImage', '*');
      const listed: RepositoryFilter = (name) => auth.permissions.can(principal, CATALOG_FILTER_ACTION, name);
      res.locals.listed = listed;
      return;
    }
    auth.permissions.require(principal, permission.action, permission.repository);
    const from = req.query.from;
    if (operation === 'v2.StartUpload' && typeof from === 'string' && typeof req.query.mount === 'string') {
      res.locals.mountAllowed = auth.permissions.can(principal, MOUNT_SOURCE_ACTION, from);
    }
    // A pull through a pull-through cache rule also imports from the upstream, as in ECR.
    if (PULL_OPERATIONS.has(operation)) {
      res.locals.importAllowed = auth.permissions.can(principal, IMPORT_UPSTREAM_ACTION, permission.repository);
    }
  };
}

async function principalOf(auth: AuthGate, req: Request): Promise<Principal> {
  if (!auth.enabled) return unrestricted;
  const knock = knockOf('v2', req);
  const header = req.get('authorization');
  if (!header) return anonymous;
  const basic = /^Basic\s+([A-Za-z0-9+/=]+)$/i.exec(header);
  const decoded = basic ? Buffer.from(basic[1]!, 'base64').toString('utf8') : '';
  const colon = decoded.indexOf(':');
  // Some clients send empty Basic credentials when told to use none (`skopeo --src-no-creds`).
  if (basic && decoded === ':') return anonymous;
  if (!basic || colon < 0 || decoded.slice(0, colon) !== LOGIN_USERNAME) {
    const error = new UnrecognizedClientException(
      `Log in with the username ${LOGIN_USERNAME} and a token from GetAuthorizationToken (aws ecr get-login-password)`,
    );
    await auth.refused(knock, error);
    throw error;
  }
  return auth.token(knock, decoded.slice(colon + 1));
}

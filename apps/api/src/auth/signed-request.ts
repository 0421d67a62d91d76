import { createHash } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import type { Request } from 'express';
import { EMPTY_SHA256, type SignedRequest } from '@longshore/auth';

const BODY_SHA256 = Symbol('bodySha256');

/**
 * For express's body parsers' `verify` hook: hashes the raw body bytes as they were received, so
 * SigV4 is checked against what arrived (never against a header's claim).
 */
export function hashRawBody(req: IncomingMessage, _res: unknown, buf: Buffer): void {
  (req as unknown as Record<symbol, string>)[BODY_SHA256] = createHash('sha256').update(buf).digest('hex');
}

/** Records the SHA-256 of a body read without express's parsers (a streamed part). */
export function setRawBodySha256(req: Request, sha256: string): void {
  (req as unknown as Record<symbol, string>)[BODY_SHA256] = sha256;
}

/** The SHA-256 of the body the parser read (the empty body's when there was none). */
export function rawBodySha256(req: Request): string {
  return (req as unknown as Record<symbol, string | undefined>)[BODY_SHA256] ?? EMPTY_SHA256;
}

/** What SigV4 covers of an express request: method, path as sent, query, headers, payload hash. */
export function signedRequestOf(req: Request, payloadSha256: string): SignedRequest {
  const raw = req.originalUrl;
  const queryAt = raw.indexOf('?');
  const path = queryAt < 0 ? raw : raw.slice(0, queryAt);
  const query: Record<string, string | string[]> = {};
  if (queryAt >= 0) {
    for (const [name, value] of new URLSearchParams(raw.slice(queryAt + 1))) {
      const seen = query[name];
      query[name] = seen === undefined ? value : Array.isArray(seen) ? [...seen, value] : [seen, value];
    }
  }
  return { method: req.method, path: decodePath(path), query, headers: req.headers, payloadSha256 };
}

/** The signer escapes the path itself, so it gets the decoded form the client signed. */
function decodePath(path: string): string {
  try {
    return path
      .split('/')
      .map((segment) => decodeURIComponent(segment))
      .join('/');
  } catch {
    return path;
  }
}

/** The client's address: the socket's peer, or what `trust proxy` lets express believe. */
export function sourceOf(req: Request): string {
  return req.ip ?? req.socket.remoteAddress ?? 'unknown';
}

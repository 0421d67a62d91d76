import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import { Hash } from '@smithy/hash-node';
import {
  ALGORITHM_IDENTIFIER,
  ALWAYS_UNSIGNABLE_HEADERS,
  AMZ_DATE_HEADER,
  GENERATED_HEADERS,
  KEY_TYPE_IDENTIFIER,
  SHA256_HEADER,
  SignatureV4,
  TOKEN_HEADER,
  getCanonicalHeaders,
} from '@smithy/signature-v4';
import {
  InvalidSignatureException,
  MissingAuthenticationTokenException,
  UnrecognizedClientException,
} from '@longshore/domain';
import type { AccessKey } from './access-key.js';
import type { CredentialSet } from './credential-set.js';
import { parseSigV4Authorization } from './sigv4-authorization.js';

/** What SigV4 covers of an HTTP request, taken from the request as it arrived. */
export interface SignedRequest {
  method: string;
  /** The path as sent, without the query string (percent-encoding intact). */
  path: string;
  /** The decoded query parameters. */
  query: Record<string, string | string[]>;
  headers: Record<string, string | string[] | undefined>;
  /**
   * Hex SHA-256 of the body bytes as received, computed by the caller; or `'UNSIGNED-PAYLOAD'`
   * where a door streams the body and the client signed that literal (the `/v1` raw parts).
   */
  payloadSha256: string;
}

export interface SigV4Policy {
  /** The signing service name: `ecr`. */
  service: string;
  /** The region the credential scope must name. */
  region: string;
  /** Largest allowed difference between the signed date and now (ms): AWS allows 15 minutes. */
  maxSkewMs: number;
}

const UNSIGNED_PAYLOAD = 'UNSIGNED-PAYLOAD';
const EMPTY_SHA256 = 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855';
const MISMATCH =
  'The request signature we calculated does not match the signature you provided. ' +
  'Check your AWS Secret Access Key and signing method. Consult the service documentation for details.';

/**
 * The SDK's own canonicalisation (@smithy/signature-v4: the canonical path, query and headers),
 * one instance per service; the credentials it was made with are never used. The hashing around
 * it is done here directly: the SDK's `sign` would derive its cache key of the signing key with
 * an HMAC per request and go through async hash wrappers and a clone of the request.
 */
type HttpRequest = Parameters<typeof getCanonicalHeaders>[0];
type HeaderBag = ReturnType<typeof getCanonicalHeaders>;

class Canonicalizer extends SignatureV4 {
  canonicalRequest(request: HttpRequest, headers: HeaderBag, payloadHash: string): string {
    return this.createCanonicalRequest(request, headers, payloadHash);
  }
}

const canonicalizers = new Map<string, Canonicalizer>();

function canonicalizerFor(service: string): Canonicalizer {
  let canonicalizer = canonicalizers.get(service);
  if (!canonicalizer) {
    canonicalizer = new Canonicalizer({
      service,
      region: 'unused',
      credentials: { accessKeyId: 'unused', secretAccessKey: 'unused' },
      sha256: Hash.bind(null, 'sha256'),
      applyChecksum: false,
    });
    canonicalizers.set(service, canonicalizer);
  }
  return canonicalizer;
}

/**
 * The derived signing keys (four HMACs each) per key object and `date/region/service` scope.
 * Keyed on the AccessKey object, so a reloaded credentials file (new objects: a rotated secret,
 * a removed key) never meets a key derived from the old secret, and the old keys are collected
 * with the old set. A key keeps the scopes of a few days at most.
 */
const signingKeys = new WeakMap<AccessKey, Map<string, Buffer>>();
const SCOPES_KEPT = 8;

function signingKeyFor(key: AccessKey, shortDate: string, region: string, service: string): Buffer {
  let byScope = signingKeys.get(key);
  if (!byScope) {
    byScope = new Map();
    signingKeys.set(key, byScope);
  }
  const scope = `${shortDate}/${region}/${service}`;
  let derived = byScope.get(scope);
  if (!derived) {
    derived = hmac(`AWS4${key.secretAccessKey}`, shortDate);
    for (const part of [region, service, KEY_TYPE_IDENTIFIER]) derived = hmac(derived, part);
    if (byScope.size >= SCOPES_KEPT) byScope.clear();
    byScope.set(scope, derived);
  }
  return derived;
}

function hmac(secret: string | Buffer, data: string): Buffer {
  return createHmac('sha256', secret).update(data).digest();
}

/**
 * Verifies AWS Signature Version 4: re-signs the request with the key it claims (the canonical
 * request is @smithy/signature-v4's, the SDK's own; the signing key is derived once per key and
 * day) and compares in constant time. The payload hash is always
 * the caller's hash of the body bytes, never the client's header (a signed
 * x-amz-content-sha256 has been checked equal to it above). Returns the key, or throws the
 * exception AWS answers with.
 */
export async function verifySigV4(
  request: SignedRequest,
  credentials: CredentialSet,
  policy: SigV4Policy,
  now = Date.now(),
): Promise<AccessKey> {
  const header = single(request.headers.authorization);
  if (!header) throw new MissingAuthenticationTokenException('Missing Authentication Token');
  const auth = parseSigV4Authorization(header);

  const key = credentials.get(auth.accessKeyId);
  if (!key) throw new UnrecognizedClientException('The security token included in the request is invalid.');

  const amzDate = single(request.headers['x-amz-date']);
  if (!amzDate || !/^\d{8}T\d{6}Z$/.test(amzDate)) {
    throw new InvalidSignatureException(
      "Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header.",
    );
  }
  if (!auth.signedHeaders.includes('host') || !auth.signedHeaders.includes('x-amz-date')) {
    throw new InvalidSignatureException("'Host' and 'X-Amz-Date' must be among the signed headers");
  }
  // Every x-amz-* header that arrived (the operation's X-Amz-Target above all) must be signed:
  // an unsigned one could be swapped in flight. x-amz-content-sha256 is checked against the body.
  const unsigned = Object.keys(request.headers).find(
    (name) =>
      name.toLowerCase().startsWith('x-amz-') &&
      name.toLowerCase() !== 'x-amz-content-sha256' &&
      !auth.signedHeaders.includes(name.toLowerCase()),
  );
  if (unsigned) {
    throw new InvalidSignatureException(`'${unsigned.toLowerCase().slice(0, 64)}' must be among the signed headers`);
  }
  if (auth.scopeDate !== amzDate.slice(0, 8)) {
    throw new InvalidSignatureException(
      `Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date from HTTP: '${auth.scopeDate}' != '${amzDate.slice(0, 8)}'`,
    );
  }
  if (auth.service !== policy.service) {
    throw new InvalidSignatureException(`Credential should be scoped to correct service: '${policy.service}'.`);
  }
  if (auth.region !== policy.region) {
    throw new InvalidSignatureException(
      `Credential should be scoped to a valid region, not '${auth.region.slice(0, 32)}'.`,
    );
  }
  const signedAt = toEpochMs(amzDate);
  if (signedAt < now - policy.maxSkewMs) {
    throw new InvalidSignatureException(
      `Signature expired: ${amzDate} is now earlier than ${amzTime(now - policy.maxSkewMs)} (${amzTime(now)} - ${policy.maxSkewMs / 60_000} min.)`,
    );
  }
  if (signedAt > now + policy.maxSkewMs) {
    throw new InvalidSignatureException(
      `Signature not yet current: ${amzDate} is still later than ${amzTime(now + policy.maxSkewMs)} (${amzTime(now)} + ${policy.maxSkewMs / 60_000} min.)`,
    );
  }

  const sessionToken = single(request.headers['x-amz-security-token']);
  if (key.sessionToken !== undefined) {
    if (
      !sessionToken ||
      !sameText(sessionToken, key.sessionToken) ||
      !auth.signedHeaders.includes('x-amz-security-token')
    ) {
      throw new UnrecognizedClientException('The security token included in the request is invalid.');
    }
  } else if (sessionToken) {
    throw new UnrecognizedClientException('The security token included in the request is invalid.');
  }

  // The client's x-amz-content-sha256, if it sent one, must be the hash of what actually arrived.
  const claimedPayload = single(request.headers['x-amz-content-sha256']);
  if (claimedPayload !== undefined && claimedPayload !== request.payloadSha256) {
    throw new InvalidSignatureException('The provided x-amz-content-sha256 header does not match what was computed.');
  }
  if (request.payloadSha256 === UNSIGNED_PAYLOAD && claimedPayload !== UNSIGNED_PAYLOAD) {
    throw new InvalidSignatureException("This request must be signed with 'X-Amz-Content-Sha256: UNSIGNED-PAYLOAD'");
  }

  const headers: Record<string, string> = {};
  for (const name of auth.signedHeaders) {
    const value = request.headers[name];
    if (value === undefined) throw new InvalidSignatureException(`Signed header '${name}' is missing from the request`);
    // As the SDK's signRequest prepares it: the generated headers left out (never `delete`d: that
    // turns the object into a slow dictionary), the date and the session token its own.
    if (GENERATED.has(name)) continue;
    headers[name] = Array.isArray(value) ? value.join(',') : value;
  }
  // The payload hash travels as a header the signer reads but (unless the client signed it) does not sign.
  const unsignable = new Set<string>();
  if (!('x-amz-content-sha256' in headers)) {
    headers['x-amz-content-sha256'] = request.payloadSha256;
    unsignable.add('x-amz-content-sha256');
  }
  const longDate = longDateOf(signedAt);
  const shortDate = longDate.slice(0, 8);
  headers[AMZ_DATE_HEADER] = longDate;
  if (key.sessionToken) headers[TOKEN_HEADER] = key.sessionToken;
  const toSign = {
    method: request.method,
    path: request.path,
    query: request.query,
    headers,
  } as unknown as HttpRequest;
  const canonicalRequest =
    request.path === '/' && isEmpty(request.query)
      ? rootCanonicalRequest(request.method, headers, unsignable, auth.signedHeaders)
      : canonicalizerFor(auth.service).canonicalRequest(
          toSign,
          getCanonicalHeaders(toSign, unsignable, new Set(auth.signedHeaders)),
          headers[SHA256_HEADER]!,
        );
  const scope = `${shortDate}/${auth.region}/${auth.service}/${KEY_TYPE_IDENTIFIER}`;
  const stringToSign = `${ALGORITHM_IDENTIFIER}\n${longDate}\n${scope}\n${createHash('sha256').update(canonicalRequest).digest('hex')}`;
  const expected = createHmac('sha256', signingKeyFor(key, shortDate, auth.region, auth.service))
    .update(stringToSign)
    .digest('hex');
  if (!sameText(expected, auth.signature)) throw new InvalidSignatureException(MISMATCH);
  return key;
}

export { EMPTY_SHA256, UNSIGNED_PAYLOAD };

/**
 * The SDK's canonical request (createCanonicalRequest with getCanonicalHeaders) of a request to
 * `/` without a query (every ECR operation), built without its per-request path normalisation,
 * query serialisation, header object and regular expressions: the same text, which
 * `sigv4-verifier.test.ts` compares with the SDK's for the headers a request may carry.
 */
export function rootCanonicalRequest(
  method: string,
  headers: Record<string, string>,
  unsignable: ReadonlySet<string>,
  signed: readonly string[],
): string {
  const names = Object.keys(headers)
    .filter((name) => signed.includes(name) || !isUnsignable(name, unsignable))
    .sort();
  let lines = '';
  for (const name of names) lines += `${name}:${canonicalValue(headers[name]!)}\n`;
  return `${method}\n/\n\n${lines}\n${names.join(';')}\n${headers[SHA256_HEADER]!}`;
}

/** Headers the SDK's signer leaves out unless they are signed (getCanonicalHeaders' rule). */
function isUnsignable(name: string, unsignable: ReadonlySet<string>): boolean {
  return (
    Object.hasOwn(ALWAYS_UNSIGNABLE_HEADERS, name) ||
    unsignable.has(name) ||
    name.startsWith('proxy-') ||
    name.startsWith('sec-')
  );
}

/** A header value as the SDK canonicalises it: line breaks and runs of blanks one space, trimmed. */
function canonicalValue(value: string): string {
  if (!IRREGULAR_VALUE.test(value)) return value;
  return value
    .replace(/[\r\n]/g, ' ')
    .replace(/[ \t]+/g, ' ')
    .replace(/^ | $/g, '');
}

const IRREGULAR_VALUE = /[\r\n\t]| {2}|^ | $/;

function isEmpty(query: Record<string, unknown>): boolean {
  for (const _ in query) return false;
  return true;
}

const GENERATED = new Set<string>(GENERATED_HEADERS);

/** The signing date as the signer writes it (`20261206T235959Z`); the last one is kept: a second's requests share it. */
let lastLongDate = { at: Number.NaN, text: '' };

function longDateOf(signedAt: number): string {
  if (lastLongDate.at !== signedAt) {
    const text = new Date(signedAt)
      .toISOString()
      .replace(/\.\d{3}Z$/, 'Z')
      .replace(/[-:]/g, '');
    lastLongDate = { at: signedAt, text };
  }
  return lastLongDate.text;
}

function single(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}

function sameText(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

function toEpochMs(amzDate: string): number {
  return Date.UTC(
    Number(amzDate.slice(0, 4)),
    Number(amzDate.slice(4, 6)) - 1,
    Number(amzDate.slice(6, 8)),
    Number(amzDate.slice(9, 11)),
    Number(amzDate.slice(11, 13)),
    Number(amzDate.slice(13, 15)),
  );
}

function amzTime(ms: number): string {
  return new Date(ms)
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\.\d{3}/, '');
}

import fc from 'fast-check';
import type { FuzzRequest } from './fuzz-request.js';
import {
  absentRepositoryName,
  anyText,
  malformedHost,
  notJson,
  pathSegment,
  printable,
  uuid,
} from './text-arbitraries.js';

const notUuid = fc
  .oneof(
    pathSegment,
    fc.constant('123'),
    uuid.map((u) => `${u}x`),
  )
  .filter((s) => s !== '' && !/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(s));
const uploadId = fc.oneof(uuid, notUuid);
const DIGEST = fc.stringMatching(/^[0-9a-f]{64}$/).map((hex) => `sha256:${hex}`);

/** GET /v1/uploads/{id}: an id that is not one, an upload that does not exist, a bad `wait`. */
const getUpload = fc
  .tuple(
    uploadId,
    fc.option(fc.oneof(printable(12), fc.constantFrom('', '0x10', '-1', '1e3', '99999', 'NaN', '1.')), {
      nil: undefined,
    }),
  )
  .map(
    ([id, wait]): FuzzRequest => ({
      door: 'v1',
      method: 'GET',
      path: `/v1/uploads/${id}${wait === undefined ? '' : `?wait=${encodeURIComponent(wait)}`}`,
      headers: {},
      fault: 'unknown upload or bad wait',
    }),
  );

/** POST /v1/uploads/{id}/complete with a broken body, or a good one for no such upload. */
const completeUpload = fc
  .tuple(
    uploadId,
    fc.oneof(
      notJson,
      fc.jsonValue({ maxDepth: 3 }).map((v) => JSON.stringify(v)),
      fc
        .record({
          repositoryName: fc.oneof(absentRepositoryName, printable(20)),
          layerDigests: fc.array(DIGEST, { maxLength: 2 }),
          callbackUrl: fc.option(fc.oneof(fc.webUrl(), printable(30)), { nil: undefined }),
        })
        .map((b) => JSON.stringify(b)),
    ),
  )
  .map(
    ([id, body]): FuzzRequest => ({
      door: 'v1',
      method: 'POST',
      path: `/v1/uploads/${id}/complete`,
      headers: { 'content-type': 'application/json' },
      body,
      fault: 'complete: bad body or no such upload',
    }),
  );

/** PUT /v1/uploads/{id}/parts: a broken Content-Range, or no such upload. */
const uploadPart = fc
  .tuple(
    uploadId,
    fc.option(
      fc.oneof(
        printable(30),
        fc
          .tuple(fc.integer({ min: -5, max: 100 }), fc.integer({ min: -5, max: 100 }))
          .map(([a, b]) => `bytes ${a}-${b}/*`),
        fc.tuple(fc.nat(100), fc.nat(100)).map(([a, b]) => `${a}-${b}`),
      ),
      { nil: undefined },
    ),
    anyText(64),
  )
  .map(
    ([id, range, body]): FuzzRequest => ({
      door: 'v1',
      method: 'PUT',
      path: `/v1/uploads/${id}/parts`,
      headers: {
        'content-type': 'application/octet-stream',
        ...(range === undefined ? {} : { 'content-range': range }),
      },
      body,
      fault: 'part: bad range or no such upload',
    }),
  );

/** Paths and methods nothing serves. */
const unserved = fc
  .tuple(
    fc.constantFrom('GET', 'POST', 'PUT', 'DELETE', 'PATCH'),
    fc.array(pathSegment, { minLength: 1, maxLength: 4 }),
    fc.constantFrom('/v1/', '/v1/uploads/', '/', '/v2x/', '/api/'),
  )
  .map(
    ([method, segments, base]): FuzzRequest => ({
      door: 'v1',
      method,
      path: `${base}${segments.join('/')}`.replace(/^\/+$/, '/nothing'),
      headers: {},
      fault: 'nothing served here',
    }),
  )
  .filter((r) => !isServed(r));

/** The few routes that answer 2xx to a well-formed request: never generate those. */
function isServed(r: FuzzRequest): boolean {
  // As the server sees it: `/.` and `/a/..` are `/`.
  const path = new URL(`http://x${r.path}`).pathname;
  if (r.method === 'GET' && ['/healthz', '/readyz', '/metrics', '/v1/openapi.json'].includes(path)) return true;
  if (r.method === 'POST' && path === '/') return true; // the ECR door: fuzzed by its own generator
  return false;
}

const withMalformedHost = fc.tuple(uuid, malformedHost).map(
  ([id, host]): FuzzRequest => ({
    door: 'v1',
    method: 'GET',
    path: `/v1/uploads/${id}`,
    headers: {},
    host,
    fault: 'malformed Host',
  }),
);

/** Requests to the /v1 status API (and to paths nothing serves), each wrong in at least one way. */
export const v1Requests: fc.Arbitrary<FuzzRequest> = fc.oneof(
  { arbitrary: getUpload, weight: 3 },
  { arbitrary: completeUpload, weight: 3 },
  { arbitrary: uploadPart, weight: 3 },
  { arbitrary: unserved, weight: 2 },
  { arbitrary: withMalformedHost, weight: 1 },
);

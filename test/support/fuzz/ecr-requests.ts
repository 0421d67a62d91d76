import fc from 'fast-check';
import { servedOperations } from '@longshore/domain';
import type { FuzzRequest } from './fuzz-request.js';
import {
  absentRepositoryName,
  anyText,
  invalidRepositoryName,
  malformedHost,
  nonObjectJson,
  notAString,
  notJson,
  printable,
  uuid,
} from './text-arbitraries.js';

const TARGET_PREFIX = 'AmazonEC2ContainerRegistry_V20150921.';
const OPERATIONS = [
  'CreateRepository',
  'DescribeRepositories',
  'DeleteRepository',
  'InitiateLayerUpload',
  'UploadLayerPart',
  'CompleteLayerUpload',
  'BatchCheckLayerAvailability',
  'GetDownloadUrlForLayer',
] as const;
/** ECR operations of the published API that Longshore does not serve (checked against the served list). */
const UNSERVED_OPERATIONS = [
  'GetLifecyclePolicy',
  'PutLifecyclePolicy',
  'GetRepositoryPolicy',
  'StartImageScan',
].filter((op) => !(servedOperations as readonly string[]).includes(op));
const DIGEST = fc.stringMatching(/^[0-9a-f]{64}$/).map((hex) => `sha256:${hex}`);

/** Headers a client might add, any of which the service must take in its stride. */
const extraHeaders = fc.record(
  {
    'content-type': fc.constantFrom(
      'application/x-amz-json-1.1',
      'application/json',
      'text/plain',
      'application/octet-stream',
      'application/x-amz-json-1.1; charset=utf-8',
    ),
    // Not `br`: a brotli decoder reads some short texts as an empty stream, which is then a valid `{}`.
    'content-encoding': fc.constantFrom('identity', 'gzip', 'deflate', 'x-unknown'),
    'x-amz-date': printable(20),
    'x-amz-user-agent': printable(30),
    'x-fuzz': printable(40),
  },
  { requiredKeys: ['content-type'] },
);

/** Well-formed and valid bodies for a resource that does not exist: the answer is a *NotFound. */
const missingResource: fc.Arbitrary<[string, object]> = fc.oneof(
  fc.tuple(
    fc.constant('DescribeRepositories'),
    absentRepositoryName.map((n) => ({ repositoryNames: [n] })),
  ),
  fc.tuple(
    fc.constant('DeleteRepository'),
    absentRepositoryName.map((n) => ({ repositoryName: n })),
  ),
  fc.tuple(
    fc.constant('InitiateLayerUpload'),
    absentRepositoryName.map((n) => ({ repositoryName: n })),
  ),
  fc.tuple(
    fc.constant('UploadLayerPart'),
    fc.record({
      repositoryName: absentRepositoryName,
      uploadId: uuid,
      partFirstByte: fc.nat(1000),
      partLastByte: fc.nat(1000),
      layerPartBlob: fc.base64String({ maxLength: 64 }),
    }),
  ),
  fc.tuple(
    fc.constant('CompleteLayerUpload'),
    fc.record({
      repositoryName: absentRepositoryName,
      uploadId: uuid,
      layerDigests: fc.array(DIGEST, { minLength: 1, maxLength: 1 }),
    }),
  ),
  fc.tuple(
    fc.constant('BatchCheckLayerAvailability'),
    fc.record({ repositoryName: absentRepositoryName, layerDigests: fc.array(DIGEST, { minLength: 1, maxLength: 3 }) }),
  ),
  fc.tuple(
    fc.constant('GetDownloadUrlForLayer'),
    fc.record({ repositoryName: absentRepositoryName, layerDigest: DIGEST }),
  ),
);

/** A member the model constrains, given a value it refuses. */
const constraintViolation: fc.Arbitrary<[string, object]> = fc.oneof(
  fc
    .tuple(fc.constantFrom(...OPERATIONS.filter((o) => o !== 'DescribeRepositories')), invalidRepositoryName)
    .map(([op, name]) => [op, { repositoryName: name }] as [string, object]),
  fc
    .tuple(
      fc.constant('DescribeRepositories'),
      fc.oneof(fc.constant(0), fc.integer({ min: 1001 }), fc.integer({ max: -1 })),
    )
    .map(([op, maxResults]) => [op, { maxResults }] as [string, object]),
  fc
    .tuple(fc.constantFrom(...OPERATIONS), fc.stringMatching(/^[0-9]{1,11}$|^[0-9]{13,20}$|^[a-z]{12}$/))
    .map(([op, registryId]) => [op, { registryId, repositoryName: 'absent/x' }] as [string, object]),
  fc.tuple(
    fc.constant('UploadLayerPart'),
    fc.record({
      repositoryName: absentRepositoryName,
      uploadId: fc.oneof(printable(30), fc.constant('not-a-uuid')).filter((s) => !/^[0-9a-f-]{36}$/i.test(s)),
      partFirstByte: fc.integer({ max: -1 }),
      partLastByte: fc.integer(),
      layerPartBlob: fc.oneof(fc.constant('!!!not base64!!!'), fc.base64String({ maxLength: 8 })),
    }),
  ),
  fc.tuple(
    fc.constant('CompleteLayerUpload'),
    fc.record({ repositoryName: absentRepositoryName, uploadId: uuid, layerDigests: fc.constant([]) }),
  ),
  fc.tuple(
    fc.constant('GetDownloadUrlForLayer'),
    fc.record({ repositoryName: absentRepositoryName, layerDigest: printable(20).map((s) => `md5:${s}`) }),
  ),
  // A required member left out.
  fc.tuple(
    fc.constantFrom('UploadLayerPart', 'CompleteLayerUpload', 'GetDownloadUrlForLayer', 'CreateRepository'),
    fc.constant({}),
  ),
);

/** One body fault, with the operation it is sent to. */
const faultyBody: fc.Arbitrary<{ target: string; body: string; fault: string }> = fc.oneof(
  fc
    .tuple(fc.constantFrom(...OPERATIONS), notJson)
    .map(([op, body]) => ({ target: TARGET_PREFIX + op, body, fault: 'not JSON' })),
  fc
    .tuple(fc.constantFrom(...OPERATIONS), nonObjectJson)
    .map(([op, body]) => ({ target: TARGET_PREFIX + op, body, fault: 'not an object' })),
  fc.tuple(fc.constantFrom(...OPERATIONS), notAString, fc.jsonValue({ maxDepth: 2 })).map(([op, value, extra]) => ({
    target: TARGET_PREFIX + op,
    // A member the operation has, of the wrong type (DescribeRepositories has a list of names instead).
    body: JSON.stringify(
      op === 'DescribeRepositories'
        ? { repositoryNames: Array.isArray(value) ? { value } : value, extra }
        : { repositoryName: value, extra },
    ),
    fault: 'wrong member type',
  })),
  constraintViolation.map(([op, body]) => ({
    target: TARGET_PREFIX + op,
    body: JSON.stringify(body),
    fault: 'constraint',
  })),
  missingResource.map(([op, body]) => ({
    target: TARGET_PREFIX + op,
    body: JSON.stringify(body),
    fault: 'missing resource',
  })),
);

/** A target naming no served operation (or none at all), whatever the body. */
const badTarget = fc.oneof(
  fc.constant(undefined),
  printable(60).filter((t) => !OPERATIONS.some((op) => t === TARGET_PREFIX + op)),
  fc.constantFrom(...OPERATIONS).map((op) => `${TARGET_PREFIX}${op.toLowerCase()}`),
  fc.constantFrom(...UNSERVED_OPERATIONS, '').map((op) => TARGET_PREFIX + op),
  fc.constantFrom(...OPERATIONS).map((op) => `AmazonEC2ContainerRegistry_V20150922.${op}`),
);

const withFaultyBody = fc.tuple(faultyBody, extraHeaders).map(
  ([{ target, body, fault }, headers]): FuzzRequest => ({
    door: 'ecr',
    method: 'POST',
    path: '/',
    headers: { ...headers, 'x-amz-target': target },
    body,
    fault: headers['content-encoding'] ? `${fault} (content-encoding ${headers['content-encoding']})` : fault,
  }),
);

const withBadTarget = fc.tuple(badTarget, anyText(200), extraHeaders).map(
  ([target, body, headers]): FuzzRequest => ({
    door: 'ecr',
    method: 'POST',
    path: '/',
    headers: target === undefined ? headers : { ...headers, 'x-amz-target': target },
    body,
    fault: 'unknown target',
  }),
);

const withMalformedHost = fc.tuple(fc.constantFrom(...OPERATIONS), malformedHost).map(
  ([op, host]): FuzzRequest => ({
    door: 'ecr',
    method: 'POST',
    path: '/',
    headers: { 'content-type': 'application/x-amz-json-1.1', 'x-amz-target': TARGET_PREFIX + op },
    body: JSON.stringify({ repositoryName: 'fuzz/host' }),
    host,
    fault: 'malformed Host',
  }),
);

/** Requests to the ECR JSON door (`POST /`), each wrong in at least one way. */
export const ecrRequests: fc.Arbitrary<FuzzRequest> = fc.oneof(
  { arbitrary: withFaultyBody, weight: 6 },
  { arbitrary: withBadTarget, weight: 2 },
  { arbitrary: withMalformedHost, weight: 1 },
);

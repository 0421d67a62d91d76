import fc from 'fast-check';
import type { FuzzRequest } from './fuzz-request.js';
import { absentRepositoryName, notJson, printable, uuid } from './text-arbitraries.js';

/** The repository the fuzz test pushed a layer into: it exists, so routes get past the name. */
const EXISTING = 'fuzz/target';

const DIGEST = fc.stringMatching(/^[0-9a-f]{64}$/).map((hex) => `sha256:${hex}`);

/** A digest the door must refuse as malformed (or, well-formed but absent, answer as unknown). */
const badDigest = fc.oneof(
  fc.stringMatching(/^[0-9a-f]{1,63}$/).map((hex) => `sha256:${hex}`),
  fc.stringMatching(/^[0-9a-f]{64}$/).map((hex) => `md5:${hex}`),
  fc.stringMatching(/^[A-Z]{1,10}$/),
  DIGEST.map((d) => d.toUpperCase()),
);

/** Repository names outside the OCI pattern, spelled so they still form one path. */
const invalidName = fc.oneof(
  fc.stringMatching(/^[A-Z][A-Za-z0-9]{0,10}$/),
  fc.stringMatching(/^[a-z]{1,8}$/).map((n) => `${n}/-${n}`),
  fc.stringMatching(/^[a-z]{1,8}$/).map((n) => `${n}__${n}.`),
  fc.constant('a'.repeat(300)),
);

const tag = fc.stringMatching(/^[a-z][a-z0-9._-]{0,20}$/);

const request = (method: string, path: string, fault: string, extra: Partial<FuzzRequest> = {}): FuzzRequest => ({
  door: 'v2',
  method,
  path,
  headers: {},
  fault,
  ...extra,
});

/** Any route of the door on a repository name it must refuse. */
const onInvalidName = fc
  .tuple(
    invalidName,
    fc.constantFrom('tags/list', 'manifests/latest', `blobs/sha256:${'0'.repeat(64)}`, 'blobs/uploads/'),
    fc.constantFrom('GET', 'HEAD', 'DELETE', 'POST', 'PUT'),
  )
  .map(([name, route, method]) => request(method, `/v2/${name}/${route}`, 'invalid repository name'));

/** Manifests, tags and blobs that are not there: in an absent repository, or under an unknown reference. */
const unknownContent = fc.oneof(
  fc
    .tuple(absentRepositoryName, fc.constantFrom('GET', 'HEAD'), fc.oneof(tag, DIGEST))
    .map(([name, method, ref]) => request(method, `/v2/${name}/manifests/${ref}`, 'manifest of an absent repository')),
  fc
    .tuple(fc.constantFrom('GET', 'HEAD', 'DELETE'), fc.oneof(tag, DIGEST))
    .map(([method, ref]) => request(method, `/v2/${EXISTING}/manifests/${ref}`, 'unknown manifest')),
  fc
    .tuple(fc.constantFrom('GET', 'HEAD', 'DELETE'), DIGEST)
    .map(([method, digest]) => request(method, `/v2/${EXISTING}/blobs/${digest}`, 'unknown blob')),
  absentRepositoryName.map((name) => request('GET', `/v2/${name}/tags/list`, 'tags of an absent repository')),
);

/** Digests no sha256 reader accepts, where a digest is expected. */
const malformedDigests = fc.oneof(
  fc
    .tuple(fc.constantFrom('GET', 'HEAD', 'DELETE'), badDigest)
    .map(([method, digest]) => request(method, `/v2/${EXISTING}/blobs/${digest}`, 'malformed blob digest')),
  badDigest.map((digest) => request('GET', `/v2/${EXISTING}/referrers/${digest}`, 'malformed referrers digest')),
  fc.tuple(badDigest, printable(100)).map(([digest, body]) =>
    request(
      'POST',
      `/v2/${EXISTING}/blobs/uploads/?digest=${encodeURIComponent(digest)}`,
      'monolithic push, bad digest',
      {
        headers: { 'content-type': 'application/octet-stream' },
        body,
      },
    ),
  ),
);

/** Upload sessions that do not exist, whatever is done to them. */
const unknownUploads = fc
  .tuple(
    fc.oneof(
      uuid,
      printable(20).map((s) => encodeURIComponent(s || 'x')),
    ),
    fc.constantFrom('GET', 'PATCH', 'PUT', 'DELETE'),
    printable(64),
  )
  .map(([id, method, body]) =>
    request(
      method,
      `/v2/${EXISTING}/blobs/uploads/${id}${method === 'PUT' ? `?digest=sha256:${'0'.repeat(64)}` : ''}`,
      'unknown upload session',
      method === 'PATCH' || method === 'PUT' ? { headers: { 'content-type': 'application/octet-stream' }, body } : {},
    ),
  );

/** Manifest pushes whose body is no manifest (or one whose blobs are missing). */
const badManifests = fc
  .tuple(
    tag,
    fc.constantFrom(
      'application/vnd.oci.image.manifest.v1+json',
      'application/vnd.oci.image.index.v1+json',
      'application/vnd.docker.distribution.manifest.v2+json',
      'application/json',
    ),
    fc.oneof(
      notJson,
      fc.jsonValue({ maxDepth: 3 }).map((v) => JSON.stringify(v)),
      fc.record({ schemaVersion: fc.constant(2), config: fc.record({ digest: DIGEST, size: fc.nat(1000) }) }).map((m) =>
        JSON.stringify({
          ...m,
          mediaType: 'application/vnd.oci.image.manifest.v1+json',
          config: { ...m.config, mediaType: 'application/vnd.oci.image.config.v1+json' },
          layers: [],
        }),
      ),
    ),
  )
  .map(([reference, contentType, body]) =>
    request('PUT', `/v2/${EXISTING}/manifests/${reference}`, 'manifest push: not a manifest, or blobs missing', {
      headers: { 'content-type': contentType },
      body,
    }),
  );

/** Malformed /v2 requests: each must be a 4xx in the OCI error form. */
export const v2Requests: fc.Arbitrary<FuzzRequest> = fc.oneof(
  onInvalidName,
  unknownContent,
  malformedDigests,
  unknownUploads,
  badManifests,
);

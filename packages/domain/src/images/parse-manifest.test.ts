import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { InvalidManifestError, ManifestTooLargeError } from '../errors/ecr-errors.js';
import { imageSizeInBytes } from './image-size.js';
import { mediaTypes } from './media-types.js';
import { MAX_MANIFEST_BYTES, parseManifest, referencedBlobs, referrerArtifactType } from './parse-manifest.js';

const d = (c: string) => `sha256:${c.repeat(64)}`;
const bytesOf = (value: unknown, indent?: number) => Buffer.from(JSON.stringify(value, null, indent));
const sha = (b: Buffer) => `sha256:${createHash('sha256').update(b).digest('hex')}`;

const config = { mediaType: 'application/vnd.oci.image.config.v1+json', digest: d('c'), size: 7 };
const layer = (c: string, size: number) => ({
  mediaType: 'application/vnd.oci.image.layer.v1.tar+gzip',
  digest: d(c),
  size,
});
const ociImage = {
  schemaVersion: 2,
  mediaType: mediaTypes.ociManifest,
  config,
  layers: [layer('a', 10), layer('b', 32)],
};

function thrown(fn: () => unknown): Error {
  try {
    fn();
  } catch (error) {
    return error as Error;
  }
  throw new Error('expected a throw');
}

describe('parseManifest', () => {
  it('digests the exact bytes: the same manifest formatted differently is a different image', () => {
    const compact = bytesOf(ociImage);
    const pretty = bytesOf(ociImage, 2);
    expect(parseManifest(compact).digest).toBe(sha(compact));
    expect(parseManifest(pretty).digest).toBe(sha(pretty));
    expect(parseManifest(compact).digest).not.toBe(parseManifest(pretty).digest);
  });

  it('reads an OCI image manifest: config, layers, size, and the blobs it needs once each', () => {
    const bytes = bytesOf({ ...ociImage, layers: [layer('a', 10), layer('b', 32), layer('a', 10)] });
    const parsed = parseManifest(bytes);
    expect(parsed).toMatchObject({ kind: 'image', mediaType: mediaTypes.ociManifest, size: bytes.length });
    expect(parsed.config?.digest).toBe(d('c'));
    expect(referencedBlobs(parsed)).toEqual([d('c'), d('a'), d('b')]);
    expect(imageSizeInBytes(parsed)).toBe(52);
  });

  it('reads Docker schema 2 manifests and manifest lists by their mediaType field', () => {
    const docker = parseManifest(bytesOf({ ...ociImage, mediaType: mediaTypes.dockerManifest }));
    expect(docker).toMatchObject({ kind: 'image', mediaType: mediaTypes.dockerManifest });
    const list = parseManifest(
      bytesOf({
        schemaVersion: 2,
        mediaType: mediaTypes.dockerManifestList,
        manifests: [{ mediaType: mediaTypes.dockerManifest, digest: d('1'), size: 500, platform: { os: 'linux' } }],
      }),
    );
    expect(list).toMatchObject({ kind: 'index', mediaType: mediaTypes.dockerManifestList });
    expect(list.manifests.map((m) => m.digest)).toEqual([d('1')]);
    expect(referencedBlobs(list)).toEqual([]);
    expect(imageSizeInBytes(list, [100, 700, 300])).toBe(700);
  });

  it('takes the media type from the declared type, else from the shape, when the body has none', () => {
    const { mediaType: _omitted, ...bare } = ociImage;
    expect(parseManifest(bytesOf(bare), mediaTypes.ociManifest).mediaType).toBe(mediaTypes.ociManifest);
    expect(parseManifest(bytesOf(bare), 'application/json').mediaType).toBe(mediaTypes.ociManifest);
    const index = { schemaVersion: 2, manifests: [] };
    expect(parseManifest(bytesOf(index)).mediaType).toBe(mediaTypes.ociIndex);
    expect(parseManifest(bytesOf(index), `${mediaTypes.ociIndex}; charset=utf-8`).kind).toBe('index');
  });

  it('refuses a declared manifest type that contradicts the body', () => {
    const error = thrown(() => parseManifest(bytesOf(ociImage), mediaTypes.dockerManifest));
    expect(error).toBeInstanceOf(InvalidManifestError);
    expect(error.message).toMatch(/does not match/);
  });

  it('reads subject, artifactType and annotations; a referrer artifact type falls back to the config type', () => {
    const subject = { mediaType: mediaTypes.ociManifest, digest: d('5'), size: 400 };
    const withType = parseManifest(
      bytesOf({ ...ociImage, subject, artifactType: 'application/vnd.example.sbom', annotations: { a: 'b' } }),
    );
    expect(withType.subject?.digest).toBe(d('5'));
    expect(withType.annotations).toEqual({ a: 'b' });
    expect(referrerArtifactType(withType)).toBe('application/vnd.example.sbom');
    expect(referrerArtifactType(parseManifest(bytesOf({ ...ociImage, subject })))).toBe(config.mediaType);
  });

  it.each([
    ['not JSON', Buffer.from('{"schemaVersion":')],
    ['a JSON array', bytesOf([1])],
    ['schema version 1', bytesOf({ ...ociImage, schemaVersion: 1 })],
    [
      'a Docker schema 1 media type',
      bytesOf({ ...ociImage, mediaType: 'application/vnd.docker.distribution.manifest.v1+prettyjws' }),
    ],
    ['an unknown media type', bytesOf({ ...ociImage, mediaType: 'text/plain' })],
    ['no config', bytesOf({ schemaVersion: 2, mediaType: mediaTypes.ociManifest, layers: [] })],
    ['layers that are not a list', bytesOf({ ...ociImage, layers: {} })],
    ['a malformed layer digest', bytesOf({ ...ociImage, layers: [{ ...layer('a', 1), digest: 'sha256:XYZ' }] })],
    ['a negative size', bytesOf({ ...ociImage, layers: [layer('a', -1)] })],
    ['an index without manifests', bytesOf({ schemaVersion: 2, mediaType: mediaTypes.ociIndex })],
    ['annotations that are not strings', bytesOf({ ...ociImage, annotations: { a: 1 } })],
  ])('refuses %s as an invalid manifest', (_what, bytes) => {
    expect(thrown(() => parseManifest(bytes))).toBeInstanceOf(InvalidManifestError);
  });

  it('refuses a manifest over 4 MiB, and accepts one of exactly 4 MiB', () => {
    const padded = (total: number) => {
      const base = bytesOf({ ...ociImage, annotations: { pad: '' } });
      return bytesOf({ ...ociImage, annotations: { pad: 'x'.repeat(total - base.length) } });
    };
    expect(padded(MAX_MANIFEST_BYTES).length).toBe(MAX_MANIFEST_BYTES);
    expect(parseManifest(padded(MAX_MANIFEST_BYTES)).size).toBe(MAX_MANIFEST_BYTES);
    expect(thrown(() => parseManifest(padded(MAX_MANIFEST_BYTES + 1)))).toBeInstanceOf(ManifestTooLargeError);
  });
});

import { createHash } from 'node:crypto';
import { InvalidManifestError, ManifestTooLargeError } from '../errors/ecr-errors.js';
import type { Descriptor } from './descriptor.js';
import { isValidOciDigest, type DigestAlgorithm } from './image-reference.js';
import {
  bareMediaType,
  isIndexMediaType,
  isManifestMediaType,
  mediaTypes,
  schema1MediaTypes,
  type ManifestMediaType,
} from './media-types.js';

/** The largest manifest accepted, as distribution and ECR (the model's ImageManifest max). */
export const MAX_MANIFEST_BYTES = 4 * 1024 * 1024;

/** What Longshore needs to know of a manifest: parsed once, from its exact bytes. */
export interface ParsedManifest {
  /** The digest of the exact bytes: sha256, or sha512 when the manifest is pushed by one. */
  digest: string;
  mediaType: ManifestMediaType;
  size: number;
  kind: 'image' | 'index';
  /** Image manifests: the config blob. */
  config?: Descriptor;
  /** Image manifests: the layer blobs, in order. */
  layers: Descriptor[];
  /** Indexes: the child manifests. */
  manifests: Descriptor[];
  subject?: Descriptor;
  /** The manifest's own `artifactType` field. */
  artifactType?: string;
  annotations?: Record<string, string>;
}

export function manifestDigest(bytes: Uint8Array, algorithm: DigestAlgorithm = 'sha256'): string {
  return `${algorithm}:${createHash(algorithm).update(bytes).digest('hex')}`;
}

/**
 * Parses and checks a manifest. The media type comes from the body's `mediaType` field, else
 * from the declared type (the /v2 Content-Type or PutImage's imageManifestMediaType), else
 * from the shape (`manifests` → OCI index, `config` → OCI image manifest). A declared manifest
 * type that contradicts the body's is refused; a declared type that is not a manifest type
 * (e.g. `application/json`) is ignored. The digest is the sha256 of the bytes, or the sha512 for
 * a manifest pushed by a sha512 digest. Throws InvalidManifest or ManifestTooLarge.
 */
export function parseManifest(
  bytes: Uint8Array,
  declaredType?: string,
  algorithm: DigestAlgorithm = 'sha256',
): ParsedManifest {
  if (bytes.byteLength > MAX_MANIFEST_BYTES) {
    throw new ManifestTooLargeError(
      `The manifest is ${bytes.byteLength} bytes; at most ${MAX_MANIFEST_BYTES} bytes are accepted`,
    );
  }
  let body: unknown;
  try {
    body = JSON.parse(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('utf8'));
  } catch {
    throw invalid('Invalid JSON syntax');
  }
  if (!isObject(body)) throw invalid('the manifest must be a JSON object');

  const declared = bareMediaType(declaredType);
  const inBody = body.mediaType;
  if (inBody !== undefined && typeof inBody !== 'string') throw invalid("'mediaType' must be a string");
  for (const type of [inBody, declared]) {
    if (type && schema1MediaTypes.includes(type)) throw invalid('Docker schema 1 manifests are not supported');
  }
  if (inBody !== undefined && !isManifestMediaType(inBody)) {
    throw invalid(`unsupported manifest media type '${inBody}'`);
  }
  if (inBody !== undefined && isManifestMediaType(declared) && declared !== inBody) {
    throw invalid(`the declared media type '${declared}' does not match the manifest's mediaType '${inBody}'`);
  }
  const mediaType: ManifestMediaType =
    inBody ??
    (isManifestMediaType(declared)
      ? declared
      : Array.isArray(body.manifests)
        ? mediaTypes.ociIndex
        : mediaTypes.ociManifest);

  if (body.schemaVersion !== 2) throw invalid("'schemaVersion' must be 2");
  const subject = body.subject === undefined ? undefined : descriptor(body.subject, 'subject');
  const artifactType = optionalString(body.artifactType, 'artifactType');
  const annotations = stringMap(body.annotations, 'annotations');
  const common = {
    digest: manifestDigest(bytes, algorithm),
    mediaType,
    size: bytes.byteLength,
    ...(subject ? { subject } : {}),
    ...(artifactType ? { artifactType } : {}),
    ...(annotations ? { annotations } : {}),
  };

  if (isIndexMediaType(mediaType)) {
    if (!Array.isArray(body.manifests)) throw invalid("an index must have a 'manifests' array");
    const manifests = body.manifests.map((d, i) => descriptor(d, `manifests[${i}]`));
    return { ...common, kind: 'index', layers: [], manifests };
  }
  if (body.config === undefined) throw invalid("an image manifest must have a 'config' descriptor");
  if (!Array.isArray(body.layers)) throw invalid("an image manifest must have a 'layers' array");
  const config = descriptor(body.config, 'config');
  const layers = body.layers.map((d, i) => descriptor(d, `layers[${i}]`));
  return { ...common, kind: 'image', config, layers, manifests: [] };
}

/** The blobs an image manifest names: config, then layers, each once (foreign layers included). */
export function referencedBlobs(manifest: ParsedManifest): string[] {
  const digests = [...(manifest.config ? [manifest.config.digest] : []), ...manifest.layers.map((l) => l.digest)];
  return [...new Set(digests)];
}

/**
 * The blobs an image manifest needs in its repository: config and layers, each once, except
 * foreign layers (descriptors with `urls`), which clients fetch from those URLs; the
 * distribution spec lets a registry accept them without their blobs.
 */
export function requiredBlobs(manifest: ParsedManifest): string[] {
  const digests = [
    ...(manifest.config ? [manifest.config.digest] : []),
    ...manifest.layers.filter((l) => !isForeignLayer(l)).map((l) => l.digest),
  ];
  return [...new Set(digests)];
}

/** A layer that carries `urls`: non-distributable content, fetched from elsewhere. */
export function isForeignLayer(layer: Descriptor): boolean {
  return layer.urls !== undefined && layer.urls.length > 0;
}

/** The artifact type the referrers API reports: the manifest's own, else its config's media type. */
export function referrerArtifactType(manifest: ParsedManifest): string | undefined {
  return manifest.artifactType ?? manifest.config?.mediaType;
}

function descriptor(value: unknown, where: string): Descriptor {
  if (!isObject(value)) throw invalid(`'${where}' must be a descriptor object`);
  const { mediaType, digest, size } = value;
  if (typeof mediaType !== 'string' || mediaType.length === 0) throw invalid(`'${where}.mediaType' must be a string`);
  if (typeof digest !== 'string' || !isValidOciDigest(digest)) {
    throw invalid(`'${where}.digest' must be a sha256 or sha512 digest`);
  }
  if (typeof size !== 'number' || !Number.isSafeInteger(size) || size < 0) {
    throw invalid(`'${where}.size' must be a non-negative integer`);
  }
  const artifactType = optionalString(value.artifactType, `${where}.artifactType`);
  const annotations = stringMap(value.annotations, `${where}.annotations`);
  const platform = value.platform;
  if (platform !== undefined && !isObject(platform)) throw invalid(`'${where}.platform' must be an object`);
  const urls = urlList(value.urls, `${where}.urls`);
  return {
    mediaType,
    digest,
    size,
    ...(artifactType ? { artifactType } : {}),
    ...(annotations ? { annotations } : {}),
    ...(platform ? { platform } : {}),
    ...(urls ? { urls } : {}),
  };
}

/** A descriptor's `urls`: absolute http(s) URLs, as the image spec requires. */
function urlList(value: unknown, where: string): string[] | undefined {
  if (value === undefined) return undefined;
  if (!Array.isArray(value)) throw invalid(`'${where}' must be an array of URLs`);
  return value.map((url, i) => {
    if (typeof url !== 'string' || !URL.canParse(url) || !/^https?:$/.test(new URL(url).protocol)) {
      throw invalid(`'${where}[${i}]' must be an http or https URL`);
    }
    return url;
  });
}

function optionalString(value: unknown, where: string): string | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'string') throw invalid(`'${where}' must be a string`);
  return value;
}

function stringMap(value: unknown, where: string): Record<string, string> | undefined {
  if (value === undefined) return undefined;
  if (!isObject(value) || !Object.values(value).every((v) => typeof v === 'string')) {
    throw invalid(`'${where}' must map strings to strings`);
  }
  return value as Record<string, string>;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function invalid(reason: string): InvalidManifestError {
  return new InvalidManifestError(`Invalid parameter at 'imageManifest' failed to satisfy constraint: '${reason}'`);
}

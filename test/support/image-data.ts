import type { ECRClient } from '@aws-sdk/client-ecr';
import { digestOf, pushLayer, randomLayer, type Layer } from './layer-data.js';

export const OCI_MANIFEST = 'application/vnd.oci.image.manifest.v1+json';
export const OCI_INDEX = 'application/vnd.oci.image.index.v1+json';
export const OCI_CONFIG = 'application/vnd.oci.image.config.v1+json';
export const OCI_LAYER = 'application/vnd.oci.image.layer.v1.tar+gzip';
export const DOCKER_MANIFEST = 'application/vnd.docker.distribution.manifest.v2+json';
export const DOCKER_CONFIG = 'application/vnd.docker.container.image.v1+json';
export const DOCKER_LAYER = 'application/vnd.docker.image.rootfs.diff.tar.gzip';

/** An image whose blobs are in a repository, and its manifest (text and digest). */
export interface PushedImage {
  config: Layer;
  layers: Layer[];
  manifest: string;
  digest: string;
}

export interface ImageOptions {
  layerSizes?: number[];
  docker?: boolean;
  subject?: { mediaType: string; digest: string; size: number };
  artifactType?: string;
  annotations?: Record<string, string>;
}

/** The manifest text of an image made of `config` and `layers` (not pushed). */
export function imageManifest(config: Layer, layers: Layer[], options: ImageOptions = {}): string {
  const docker = options.docker ?? false;
  return JSON.stringify({
    schemaVersion: 2,
    mediaType: docker ? DOCKER_MANIFEST : OCI_MANIFEST,
    ...(options.artifactType ? { artifactType: options.artifactType } : {}),
    config: { mediaType: docker ? DOCKER_CONFIG : OCI_CONFIG, digest: config.digest, size: config.bytes.length },
    layers: layers.map((l) => ({
      mediaType: docker ? DOCKER_LAYER : OCI_LAYER,
      digest: l.digest,
      size: l.bytes.length,
    })),
    ...(options.subject ? { subject: options.subject } : {}),
    ...(options.annotations ? { annotations: options.annotations } : {}),
  });
}

/** Pushes a fresh config and layers with the ECR layer API; returns the manifest naming them (not put). */
export async function pushImageBlobs(
  ecr: ECRClient,
  repositoryName: string,
  options: ImageOptions = {},
): Promise<PushedImage> {
  const config = randomLayer(256);
  const layers = (options.layerSizes ?? [1024, 2048]).map((size) => randomLayer(size));
  for (const blob of [config, ...layers]) await pushLayer(ecr, repositoryName, blob);
  const manifest = imageManifest(config, layers, options);
  return { config, layers, manifest, digest: digestOf(Buffer.from(manifest)) };
}

/** An OCI image index listing the given manifests. */
export function indexManifest(children: { digest: string; manifest: string }[]): string {
  return JSON.stringify({
    schemaVersion: 2,
    mediaType: OCI_INDEX,
    manifests: children.map((c, i) => ({
      mediaType: OCI_MANIFEST,
      digest: c.digest,
      size: Buffer.byteLength(c.manifest),
      platform: { architecture: i === 0 ? 'amd64' : 'arm64', os: 'linux' },
    })),
  });
}

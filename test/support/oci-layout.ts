import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { gzipSync } from 'node:zlib';
import { digestOf } from './layer-data.js';

const run = promisify(execFile);

export const ociMediaTypes = {
  manifest: 'application/vnd.oci.image.manifest.v1+json',
  index: 'application/vnd.oci.image.index.v1+json',
  config: 'application/vnd.oci.image.config.v1+json',
  layer: 'application/vnd.oci.image.layer.v1.tar+gzip',
} as const;

export interface Descriptor {
  mediaType: string;
  digest: string;
  size: number;
  platform?: { architecture: string; os: string };
  annotations?: Record<string, string>;
}

export interface Platform {
  architecture: string;
  os: string;
  /** Sizes of the random files, one gzipped tar layer each. */
  layerSizes: number[];
}

/** A real gzipped tar layer holding one file of random bytes; returns it and its diff id. */
async function tarLayer(size: number): Promise<{ gz: Buffer; diffId: string }> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'longshore-layer-'));
  try {
    await writeFile(path.join(dir, 'payload.bin'), randomBytes(size));
    const { stdout } = await run('tar', ['-cf', '-', '-C', dir, 'payload.bin'], {
      encoding: 'buffer',
      maxBuffer: size + 1024 * 1024,
    });
    return { gz: gzipSync(stdout, { level: 1 }), diffId: digestOf(stdout) };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/**
 * Writes an OCI image layout (https://github.com/opencontainers/image-spec/blob/main/image-layout.md)
 * by hand: blobs under `blobs/sha256`, `oci-layout`, and `index.json` naming one image tagged
 * `tag`. One platform gives an image manifest; several give an image index of one manifest each.
 * Returns the descriptor `index.json` names.
 */
export async function writeOciLayout(dir: string, tag: string, platforms: Platform[]): Promise<Descriptor> {
  const blobs = path.join(dir, 'blobs', 'sha256');
  await mkdir(blobs, { recursive: true });
  const putBlob = async (mediaType: string, bytes: Buffer): Promise<Descriptor> => {
    const digest = digestOf(bytes);
    await writeFile(path.join(blobs, digest.slice('sha256:'.length)), bytes);
    return { mediaType, digest, size: bytes.length };
  };
  const manifests: Descriptor[] = [];
  for (const platform of platforms) {
    const layers = await Promise.all(platform.layerSizes.map(tarLayer));
    const config = {
      architecture: platform.architecture,
      os: platform.os,
      created: '2026-01-01T00:00:00Z',
      config: { Cmd: ['/payload.bin'] },
      rootfs: { type: 'layers', diff_ids: layers.map((l) => l.diffId) },
    };
    const manifest = {
      schemaVersion: 2,
      mediaType: ociMediaTypes.manifest,
      config: await putBlob(ociMediaTypes.config, Buffer.from(JSON.stringify(config))),
      layers: await Promise.all(layers.map((l) => putBlob(ociMediaTypes.layer, l.gz))),
    };
    const descriptor = await putBlob(ociMediaTypes.manifest, Buffer.from(JSON.stringify(manifest)));
    manifests.push({ ...descriptor, platform: { architecture: platform.architecture, os: platform.os } });
  }
  let top: Descriptor;
  if (manifests.length === 1) {
    const { platform: _platform, ...only } = manifests[0]!;
    top = only;
  } else {
    const index = { schemaVersion: 2, mediaType: ociMediaTypes.index, manifests };
    top = await putBlob(ociMediaTypes.index, Buffer.from(JSON.stringify(index)));
  }
  const named = { ...top, annotations: { 'org.opencontainers.image.ref.name': tag } };
  await writeFile(path.join(dir, 'oci-layout'), JSON.stringify({ imageLayoutVersion: '1.0.0' }));
  await writeFile(
    path.join(dir, 'index.json'),
    JSON.stringify({ schemaVersion: 2, mediaType: ociMediaTypes.index, manifests: [named] }),
  );
  return named;
}

/** The descriptor an OCI layout's `index.json` names for `tag`. */
export async function layoutDescriptor(dir: string, tag: string): Promise<Descriptor> {
  const index = JSON.parse(await readFile(path.join(dir, 'index.json'), 'utf8')) as { manifests: Descriptor[] };
  const found = index.manifests.find((m) => m.annotations?.['org.opencontainers.image.ref.name'] === tag);
  if (!found) throw new Error(`no image tagged '${tag}' in ${dir}`);
  return found;
}

/** Every blob digest an OCI layout holds. */
export async function layoutBlobDigests(dir: string): Promise<string[]> {
  return (await readdir(path.join(dir, 'blobs', 'sha256'))).map((hex) => `sha256:${hex}`).sort();
}

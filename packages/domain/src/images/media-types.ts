/** The manifest media types Longshore stores and serves. */
export const mediaTypes = {
  ociManifest: 'application/vnd.oci.image.manifest.v1+json',
  ociIndex: 'application/vnd.oci.image.index.v1+json',
  dockerManifest: 'application/vnd.docker.distribution.manifest.v2+json',
  dockerManifestList: 'application/vnd.docker.distribution.manifest.list.v2+json',
} as const;

export type ManifestMediaType = (typeof mediaTypes)[keyof typeof mediaTypes];

/** Docker schema 1, which Longshore (like current ECR and distribution) refuses. */
export const schema1MediaTypes = [
  'application/vnd.docker.distribution.manifest.v1+json',
  'application/vnd.docker.distribution.manifest.v1+prettyjws',
];

const all: readonly string[] = Object.values(mediaTypes);

export function isManifestMediaType(value: string | undefined): value is ManifestMediaType {
  return value !== undefined && all.includes(value);
}

/** Indexes (OCI image index, Docker manifest list) list other manifests; the rest list blobs. */
export function isIndexMediaType(value: ManifestMediaType): boolean {
  return value === mediaTypes.ociIndex || value === mediaTypes.dockerManifestList;
}

/** `application/json; charset=utf-8` → `application/json`; blank → undefined. */
export function bareMediaType(contentType: string | undefined): string | undefined {
  const bare = contentType?.split(';')[0]?.trim().toLowerCase();
  return bare ? bare : undefined;
}

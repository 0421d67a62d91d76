import type { Descriptor } from '@longshore/domain';

/** One image (manifest) of a repository, as stored. Immutable once written; tags live apart. */
export interface ImageRecord {
  digest: string;
  mediaType: string;
  /** Bytes of the manifest itself. */
  manifestSize: number;
  /** DescribeImages' imageSizeInBytes. */
  imageSizeInBytes: number;
  /** Epoch milliseconds of the first push of this digest. */
  pushedAt: number;
  /** The config blob's media type (DescribeImages' artifactMediaType); absent for indexes. */
  configMediaType?: string;
  /** Indexes: the child manifests' digests. */
  children?: string[];
  /** The `subject` this manifest refers to (referrers API). */
  subject?: string;
  /** What the referrers API lists for this manifest when it has a subject. */
  artifactType?: string;
  annotations?: Record<string, string>;
}

/** What the referrers API lists for a manifest. */
export function referrerDescriptor(record: ImageRecord): Descriptor {
  return {
    mediaType: record.mediaType,
    digest: record.digest,
    size: record.manifestSize,
    ...(record.artifactType ? { artifactType: record.artifactType } : {}),
    ...(record.annotations ? { annotations: record.annotations } : {}),
  };
}

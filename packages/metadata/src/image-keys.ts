/**
 * The Redis keys of one repository's images. All share the hash tag `{repo:<name>}`, so every
 * script over one repository's images runs on one Redis Cluster slot, and no script touches
 * two repositories.
 */
export interface ImageKeys {
  /** HASH digest → image record JSON (see image-record.ts); written once per push */
  images: string;
  /** HASH digest → the manifest's exact bytes */
  manifests: string;
  /** HASH tag → digest */
  tags: string;
  /** ZSET of tags, all scored 0: lexically ordered, for tag listing with `last`/`n` */
  tagNames: string;
  /** HASH digest → the image's tags, space-separated (tags cannot contain spaces) */
  imageTags: string;
  /** HASH child digest → how many indexes in the repository list it */
  parents: string;
  /** ZSET of "<subject digest> <referrer digest>", all scored 0: the referrers index */
  referrers: string;
  /**
   * HASH digest → epoch ms of the image's last recorded manifest pull (DescribeImages
   * `lastRecordedPullTime`, lifecycle `sinceImagePulled`). Not one of the image scripts' keys: a
   * pull time is written apart from them (ImageStore.recordPull).
   */
  pulls: string;
}

/** The prefix without the braces a cluster config wraps it in (`{longshore}` → `longshore`). */
export function untaggedPrefix(prefix: string): string {
  return prefix.replace(/^\{(.*)\}$/, '$1');
}

/** Where every key of one repository starts: its hash tag `{repo:<name>}` under the prefix. */
export function repositoryKeyBase(prefix: string, repositoryName: string): string {
  return `${untaggedPrefix(prefix)}:{repo:${repositoryName}}`;
}

export function createImageKeys(prefix: string, repositoryName: string): ImageKeys {
  const base = repositoryKeyBase(prefix, repositoryName);
  return {
    images: `${base}:images`,
    manifests: `${base}:manifests`,
    tags: `${base}:tags`,
    tagNames: `${base}:tag-names`,
    imageTags: `${base}:image-tags`,
    parents: `${base}:parents`,
    referrers: `${base}:referrers`,
    pulls: `${base}:pulls`,
  };
}

/** The keys in the order every image script takes them as KEYS[1..7]. */
export function imageKeyList(keys: ImageKeys): string[] {
  return [keys.images, keys.manifests, keys.tags, keys.tagNames, keys.imageTags, keys.parents, keys.referrers];
}

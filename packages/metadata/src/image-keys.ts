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
   * `lastRecordedPullTime`, lifecycle `sinceImagePulled`). Not one of imageKeyList's keys: a
   * pull time is written apart from them (ImageStore.recordPull); deleteImages (a batch of
   * deletes) and DeleteRepository's scripts take it as an extra key.
   */
  pulls: string;
  /** ZSET of "<digest> <tag>", one per tag, all scored 0: ListImages' tagged entries in its order */
  tagEntries: string;
  /** ZSET of the digests of tagged images, all scored 0: DescribeImages' tagged images in digest order */
  taggedDigests: string;
  /** ZSET of the digests of untagged images, all scored 0: the untagged images in digest order */
  untaggedDigests: string;
  /**
   * ZSET of "<push order> <digest>" (see pushOrderMember), all scored 0: every image, newest
   * push first, ties by digest: the order lifecycle evaluation considers images in
   */
  pushOrder: string;
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
    tagEntries: `${base}:tag-entries`,
    taggedDigests: `${base}:tagged`,
    untaggedDigests: `${base}:untagged`,
    pushOrder: `${base}:push-order`,
  };
}

/** The keys in the order every image script takes them as KEYS[1..IMAGE_KEY_COUNT]. */
export function imageKeyList(keys: ImageKeys): string[] {
  return [
    keys.images,
    keys.manifests,
    keys.tags,
    keys.tagNames,
    keys.imageTags,
    keys.parents,
    keys.referrers,
    keys.tagEntries,
    keys.taggedDigests,
    keys.untaggedDigests,
    keys.pushOrder,
  ];
}

/** How many keys imageKeyList gives (every image script's numberOfKeys). */
export const IMAGE_KEY_COUNT = 11;

/** Push times are stored as `PUSH_ORDER_BASE - pushedAt`, so newer sorts first. */
const PUSH_ORDER_BASE = 1e15;
const PUSH_ORDER_WIDTH = 16;

/**
 * An image's member of the push-order ZSET: its push time counted down from PUSH_ORDER_BASE,
 * zero-padded to 16 digits, a space, its digest. Lexical order is then newest first, ties by
 * digest, and a member is a cursor ZRANGEBYLEX can resume after. The Lua scripts build the
 * same string (pushOrderLua in scripts/image-tags-lua.ts).
 */
export function pushOrderMember(digest: string, pushedAt: number): string {
  // Truncated as Lua's %d truncates: the scripts and the rebuild write the same member.
  return `${String(Math.trunc(PUSH_ORDER_BASE - pushedAt)).padStart(PUSH_ORDER_WIDTH, '0')} ${digest}`;
}

/** The digest and push time a push-order member holds. */
export function parsePushOrderMember(member: string): { digest: string; pushedAt: number } {
  const space = member.indexOf(' ');
  return { digest: member.slice(space + 1), pushedAt: PUSH_ORDER_BASE - Number(member.slice(0, space)) };
}

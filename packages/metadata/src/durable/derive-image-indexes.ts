import { pushOrderMember, type ImageKeys } from '../keys.js';
import type { StoredImage } from './storage-records.js';

/** One repository as the storage holds it: its images, and its tags that name one of them. */
export interface RepositoryContent {
  images: StoredImage[];
  /** tag → digest */
  tags: Map<string, string>;
}

/** The whole content of one Redis key, derived from the storage. */
export type DerivedKey =
  | { key: string; type: 'hash'; fields: Map<string, string | Buffer> }
  | { key: string; type: 'zset'; members: string[] };

/**
 * Every index over one repository's images, each derived from the image records alone: the
 * one place `rebuildIndex` learns which keys exist and what they hold. A new index structure
 * adds its derive function here (and its key to ImageKeys), and the rebuild covers it.
 */
export const IMAGE_INDEXES: readonly ((keys: ImageKeys, content: RepositoryContent) => DerivedKey)[] = [
  deriveImages,
  deriveManifests,
  deriveTags,
  deriveTagNames,
  deriveImageTags,
  deriveParents,
  deriveReferrers,
  deriveTagEntries,
  deriveTaggedDigests,
  deriveUntaggedDigests,
  derivePushOrder,
];

/** images: digest → image record JSON */
export function deriveImages(keys: ImageKeys, { images }: RepositoryContent): DerivedKey {
  return {
    key: keys.images,
    type: 'hash',
    fields: new Map(images.map((i) => [i.record.digest, JSON.stringify(i.record)])),
  };
}

/** manifests: digest → the manifest's exact bytes */
export function deriveManifests(keys: ImageKeys, { images }: RepositoryContent): DerivedKey {
  return { key: keys.manifests, type: 'hash', fields: new Map(images.map((i) => [i.record.digest, i.manifest])) };
}

/** tags: tag → digest */
export function deriveTags(keys: ImageKeys, { tags }: RepositoryContent): DerivedKey {
  return { key: keys.tags, type: 'hash', fields: new Map(tags) };
}

/** tag-names: every tag, for lexical listing */
export function deriveTagNames(keys: ImageKeys, { tags }: RepositoryContent): DerivedKey {
  return { key: keys.tagNames, type: 'zset', members: [...tags.keys()] };
}

/** image-tags: digest → its tags, space-separated */
export function deriveImageTags(keys: ImageKeys, { tags }: RepositoryContent): DerivedKey {
  const byDigest = new Map<string, string[]>();
  for (const [tag, digest] of tags) byDigest.set(digest, [...(byDigest.get(digest) ?? []), tag]);
  return {
    key: keys.imageTags,
    type: 'hash',
    fields: new Map([...byDigest].map(([digest, list]) => [digest, list.sort().join(' ')])),
  };
}

/** parents: child digest → how many indexes list it */
export function deriveParents(keys: ImageKeys, { images }: RepositoryContent): DerivedKey {
  const counts = new Map<string, number>();
  for (const { record } of images) {
    for (const child of record.children ?? []) counts.set(child, (counts.get(child) ?? 0) + 1);
  }
  return { key: keys.parents, type: 'hash', fields: new Map([...counts].map(([d, n]) => [d, String(n)])) };
}

/** referrers: "<subject> <referrer>" members */
export function deriveReferrers(keys: ImageKeys, { images }: RepositoryContent): DerivedKey {
  const members = images.filter((i) => i.record.subject).map((i) => `${i.record.subject} ${i.record.digest}`);
  return { key: keys.referrers, type: 'zset', members };
}

/** tag-entries: "<digest> <tag>" for every tag */
export function deriveTagEntries(keys: ImageKeys, { tags }: RepositoryContent): DerivedKey {
  return { key: keys.tagEntries, type: 'zset', members: [...tags].map(([tag, digest]) => `${digest} ${tag}`) };
}

/** tagged: the digest of every image a tag names */
export function deriveTaggedDigests(keys: ImageKeys, { tags }: RepositoryContent): DerivedKey {
  return { key: keys.taggedDigests, type: 'zset', members: [...new Set(tags.values())] };
}

/** untagged: the digest of every image no tag names */
export function deriveUntaggedDigests(keys: ImageKeys, { images, tags }: RepositoryContent): DerivedKey {
  const tagged = new Set(tags.values());
  const members = images.map((i) => i.record.digest).filter((digest) => !tagged.has(digest));
  return { key: keys.untaggedDigests, type: 'zset', members };
}

/** push-order: every image, newest push first */
export function derivePushOrder(keys: ImageKeys, { images }: RepositoryContent): DerivedKey {
  return {
    key: keys.pushOrder,
    type: 'zset',
    members: images.map((i) => pushOrderMember(i.record.digest, i.record.pushedAt)),
  };
}

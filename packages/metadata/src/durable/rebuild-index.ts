import type { Cluster, Redis } from 'ioredis';
import { parseManifest } from '@longshore/domain';
import { PathNotFoundError, type StorageDriver } from '@longshore/storage';
import type { Keys } from '../keys.js';
import type { LayerLink } from '../layer-store.js';
import { IMAGE_INDEXES, type DerivedKey, type RepositoryContent } from './derive-image-indexes.js';
import type { StorageRecords, StoredImage } from './storage-records.js';

export interface RebuildProgress {
  /** Repository directories found in the storage (known before the first repository is read). */
  total: number;
  done: number;
  repositoryName?: string;
}

export interface RebuildSummary {
  repositories: number;
  images: number;
  tags: number;
  /** Blob index entries written (digests whose blob was found where the image record says). */
  blobs: number;
  /** Blobs an image references that are not in the storage any more (the image cannot be pulled whole). */
  missingBlobs: string[];
  /** Tags naming an image the storage does not hold (left out of the index). */
  danglingTags: string[];
  /** Repository directories without a record: objects of a deleted repository (left in place). */
  leftovers: string[];
  /** Pull-through cache rules restored. */
  pullThroughRules: number;
}

export interface RebuildOptions {
  redis: Redis | Cluster;
  keys: Keys;
  records: StorageRecords;
  storage: Pick<StorageDriver, 'statBlob'>;
  onProgress?: (progress: RebuildProgress) => void;
}

/** A layer link the rebuild derives from a manifest (no upload made it). */
const REBUILT_UPLOAD_ID = 'rebuilt-from-storage';
/** Fields per HSET/ZADD command, so a large repository is written in bounded commands. */
const CHUNK = 1_000;

/**
 * `longshore rebuild-index`: derives every index in Redis from the records in the storage: the
 * pull-through cache rules, then repository by repository: the repository record and its lifecycle policy; every image index (IMAGE_INDEXES, each key
 * replaced whole in one MULTI on the repository's slot); the repository's layer links (the
 * blobs its manifests reference); and the digest → location blob index (for blobs still found
 * where the image record says they were stored).
 *
 * What it cannot rebuild: uploads in flight (their records lived in Redis only; clients start
 * them again), layers uploaded but not yet referenced by any manifest, and the finalize queue.
 * Run it with the API stopped, or at least without pushes to the repositories it rebuilds: a
 * push that lands between the read of a repository and its MULTI is missing from the index
 * until the next rebuild (it is in the storage).
 */
export async function rebuildIndex(options: RebuildOptions): Promise<RebuildSummary> {
  const { redis, keys, records, onProgress } = options;
  const summary: RebuildSummary = {
    repositories: 0,
    images: 0,
    tags: 0,
    blobs: 0,
    missingBlobs: [],
    danglingTags: [],
    leftovers: [],
    pullThroughRules: 0,
  };
  const rules = await records.pullThroughRules();
  if (rules.size > 0) await redis.hset(keys.pullThroughRules, Object.fromEntries(rules));
  summary.pullThroughRules = rules.size;
  const directories = await records.repositoryDirectories();
  const indexedBlobs = new Set<string>();
  const missingBlobs = new Set<string>();
  onProgress?.({ total: directories.length, done: 0 });
  for (const [i, directory] of directories.entries()) {
    const repository = await records.repositoryIn(directory);
    if (!repository) {
      summary.leftovers.push(directory);
      onProgress?.({ total: directories.length, done: i + 1 });
      continue;
    }
    const name = repository.repositoryName;
    await redis.hset(keys.repositories, name, JSON.stringify(repository));
    // A registered repository's slot is claimed (see claim-repository-slot.ts).
    await redis.set(keys.repositoryClaim(name), '1');
    const policy = await records.getLifecyclePolicy(name);
    if (policy !== undefined) {
      await redis.hset(keys.lifecycle(name).policy, 'policy', policy);
      await redis.sadd(keys.lifecycleRepositories, name);
    }
    const content = await readRepository(records, name, summary);
    await writeImageIndexes(
      redis,
      IMAGE_INDEXES.map((derive) => derive(keys.images(name), content)),
    );
    await linkLayers(redis, keys.layers(name), content.images);
    await indexBlobs(options, content.images, indexedBlobs, missingBlobs, summary);
    summary.repositories += 1;
    summary.images += content.images.length;
    summary.tags += content.tags.size;
    onProgress?.({ total: directories.length, done: i + 1, repositoryName: name });
  }
  // A blob missing where one image recorded it may have been found where another did.
  summary.missingBlobs = [...missingBlobs].filter((digest) => !indexedBlobs.has(digest)).sort();
  return summary;
}

async function readRepository(
  records: StorageRecords,
  repositoryName: string,
  summary: RebuildSummary,
): Promise<RepositoryContent> {
  const images: StoredImage[] = [];
  for await (const batch of records.images(repositoryName)) images.push(...batch);
  const digests = new Set(images.map((i) => i.record.digest));
  const tags = new Map<string, string>();
  for (const [tag, digest] of await records.tags(repositoryName)) {
    if (digests.has(digest)) tags.set(tag, digest);
    else summary.danglingTags.push(`${repositoryName}:${tag}`);
  }
  return { images, tags };
}

/** Replaces each derived key whole, all in one MULTI (every key is on the repository's slot). */
async function writeImageIndexes(redis: Redis | Cluster, derived: DerivedKey[]): Promise<void> {
  const multi = redis.multi();
  for (const entry of derived) {
    multi.del(entry.key);
    if (entry.type === 'hash') {
      const fields = [...entry.fields];
      for (let i = 0; i < fields.length; i += CHUNK)
        multi.hset(entry.key, Object.fromEntries(fields.slice(i, i + CHUNK)));
    } else {
      for (let i = 0; i < entry.members.length; i += CHUNK) {
        multi.zadd(entry.key, ...entry.members.slice(i, i + CHUNK).flatMap((m) => [0, m]));
      }
    }
  }
  const results = await multi.exec();
  const failed = results?.find(([error]) => error);
  if (failed) throw failed[0];
}

/** Links every blob the repository's manifests reference, keeping links that exist. */
async function linkLayers(redis: Redis | Cluster, layersKey: string, images: StoredImage[]): Promise<void> {
  const links = new Map<string, LayerLink>();
  for (const { record, manifest } of images) {
    if (record.children) continue;
    const parsed = parseManifest(manifest, record.mediaType);
    for (const blob of [...(parsed.config ? [parsed.config] : []), ...parsed.layers]) {
      if (!links.has(blob.digest)) {
        links.set(blob.digest, { size: blob.size, uploadId: REBUILT_UPLOAD_ID, linkedAt: record.pushedAt });
      }
    }
  }
  const entries = [...links];
  for (let i = 0; i < entries.length; i += CHUNK) {
    const pipeline = redis.pipeline();
    for (const [digest, link] of entries.slice(i, i + CHUNK)) pipeline.hsetnx(layersKey, digest, JSON.stringify(link));
    await pipeline.exec();
  }
}

/** Indexes each referenced blob at the location its image record names, if the blob is there. */
async function indexBlobs(
  { redis, keys, storage }: RebuildOptions,
  images: StoredImage[],
  indexed: Set<string>,
  missing: Set<string>,
  summary: RebuildSummary,
): Promise<void> {
  for (const { blobs } of images) {
    for (const [digest, location] of Object.entries(blobs)) {
      if (indexed.has(digest)) continue;
      let size: number;
      try {
        size = (await storage.statBlob(location)).size;
      } catch (error) {
        if (!(error instanceof PathNotFoundError)) throw error;
        missing.add(digest);
        continue;
      }
      // NX: a blob indexed since (a finalization during the rebuild) keeps its entry (and counted itself).
      if ((await redis.set(keys.blob(digest), location, 'NX')) === 'OK') {
        await redis.incrby(keys.storedBlobBytes, size);
      }
      indexed.add(digest);
      summary.blobs += 1;
    }
  }
}

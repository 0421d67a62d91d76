import type { Cluster, Redis } from 'ioredis';
import { BlobIndex } from './layer-store.js';
import { BlobReferences } from './blob-references.js';
import { FinalizationStore } from './finalization-store.js';
import { StorageMirror } from './durable/storage-mirror.js';
import { StorageRecords, type RecordStorage } from './durable/storage-records.js';
import { createKeys, type Keys } from './keys.js';
import type { ImageChanges } from './image-changes.js';
import { ImageStore } from './image-store.js';
import { LayerStore } from './layer-store.js';
import { LifecycleStore } from './lifecycle-store.js';
import { RepositoryStore } from './repository-store.js';
import { UploadStore, type UploadLimits } from './upload-store.js';
import { WorkerRegistry } from './worker-registry.js';

export interface Stores {
  keys: Keys;
  repositories: RepositoryStore;
  uploads: UploadStore;
  layers: LayerStore;
  images: ImageStore;
  blobs: BlobIndex;
  blobReferences: BlobReferences;
  workers: WorkerRegistry;
  lifecycle: LifecycleStore;
  /** The end of a finalization in one script, on a single Redis (see finalization-store.ts). */
  finalizations: FinalizationStore;
  /** The records in the storage, when the stores write them there (see durable/storage-mirror.ts). */
  records?: StorageRecords;
  /** What writes Redis's decisions to those records, for stores kept outside this package (pull-through cache rules). */
  mirror?: StorageMirror;
}

/**
 * Every Redis-backed store, on one connection and key prefix, as both apps build them. With
 * `storage`, repositories, images and tags are also written there, the truth `rebuildIndex`
 * rebuilds Redis from; without it (unit tests of Redis logic) Redis holds them alone.
 */
export function createStores(
  redis: Redis | Cluster,
  prefix: string,
  limits: UploadLimits,
  storage?: RecordStorage,
  options: { imageChanges?: ImageChanges } = {},
): Stores {
  const keys = createKeys(prefix);
  const records = storage ? new StorageRecords(storage) : undefined;
  const mirror = records ? new StorageMirror(redis, keys, records) : undefined;
  return {
    keys,
    ...(records ? { records } : {}),
    ...(mirror ? { mirror } : {}),
    repositories: new RepositoryStore(redis, keys, mirror),
    uploads: new UploadStore(redis, keys, limits),
    layers: new LayerStore(redis, keys),
    images: new ImageStore(redis, keys, mirror, options.imageChanges),
    blobs: new BlobIndex(redis, keys),
    blobReferences: new BlobReferences(redis, keys),
    workers: new WorkerRegistry(redis, keys),
    lifecycle: new LifecycleStore(redis, keys, mirror),
    finalizations: new FinalizationStore(redis, keys, limits.statusRetentionSeconds),
  };
}

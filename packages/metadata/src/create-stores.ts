import type { Cluster, Redis } from 'ioredis';
import { BlobIndex } from './blob-index.js';
import { BlobReferences } from './blob-references.js';
import { createKeys, type Keys } from './keys.js';
import { ImageStore } from './image-store.js';
import { LayerStore } from './layer-store.js';
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
}

/** Every Redis-backed store, on one connection and key prefix, as both apps build them. */
export function createStores(redis: Redis | Cluster, prefix: string, limits: UploadLimits): Stores {
  const keys = createKeys(prefix);
  return {
    keys,
    repositories: new RepositoryStore(redis, keys),
    uploads: new UploadStore(redis, keys, limits),
    layers: new LayerStore(redis, keys),
    images: new ImageStore(redis, keys),
    blobs: new BlobIndex(redis, keys),
    blobReferences: new BlobReferences(redis, keys),
    workers: new WorkerRegistry(redis, keys),
  };
}

export { createKeys, type Keys } from './keys.js';
export { RepositoryStore, type RepositoryPage } from './repository-store.js';
export { objectEncryptionOf, type RepositoryRecord } from './repository-store.js';
export {
  UploadStore,
  type UploadLimits,
  type UploadRef,
  type UnclaimedPartStart,
  type PartClaim,
  type PartPolicy,
  type InitiateOptions,
  type CompletionStart,
  type CompletionFacts,
  type CompletionOptions,
  type JobBehind,
  type LastPartStart,
  type CheckedParts,
  type FinalizingStart,
  parseUploadAnnouncement,
  parseUploadRecord,
} from './upload-store.js';
export { LayerStore, type LayerLink } from './layer-store.js';
export { FinalizationStore, type Finished, type FinishedBlob } from './finalization-store.js';
export { BlobIndex, BlobBeingCollectedError, COLLECTING_PREFIX } from './layer-store.js';
export { BlobReferences, type BlobReferenceSnapshot, type ReferenceReadOptions } from './blob-references.js';
export { linkRetainedLayer, type LayerReferenceDeps } from './layer-store.js';
export { scanKeys } from './scan-keys.js';
export type { UploadAnnouncement, UploadRecord, UploadStatus, PartRecord } from './upload-record.js';
export { HEARTBEAT_MS, WORKER_ALIVE_MS, WorkerRegistry } from './worker-registry.js';
export { sharedSecret } from './shared-secret.js';
export { createStores, type Stores } from './create-stores.js';
export { preloadScripts, storeScripts } from './preload-scripts.js';
export {
  ImageStore,
  type PutImageCommand,
  type PutImageOutcome,
  type DeleteImageOutcome,
  type DeleteTagOutcome,
  type UntagOutcome,
  type TaggedImage,
} from './image-store.js';
export { type ImageRecord, referrerDescriptor } from './image-record.js';
export { createImageKeys, pushOrderMember, type ImageKeys } from './keys.js';
export type { ListingEntry, PushedImage, TagStatusFilter } from './listing-reads.js';
export {
  StorageRecords,
  storageName,
  RECORDS_ROOT,
  type RecordStorage,
  type StoredImage,
} from './durable/storage-records.js';
export { StorageMirror } from './durable/storage-mirror.js';
export {
  rebuildIndex,
  type RebuildOptions,
  type RebuildProgress,
  type RebuildSummary,
} from './durable/rebuild-index.js';
export { IMAGE_INDEXES, type DerivedKey, type RepositoryContent } from './durable/derive-image-indexes.js';
export { noImageChanges, type DeletedImage, type ImageChanges } from './image-changes.js';
export {
  LifecycleStore,
  type StoredLifecyclePolicy,
  type LifecyclePreview,
  type PreviewedExpiry,
} from './lifecycle-store.js';
export type { LifecycleKeys } from './keys.js';
export { lifecycleExpiries, lifecycleExpiryChunks } from './lifecycle-evaluation.js';

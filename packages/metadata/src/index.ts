export { createKeys, type Keys } from './keys.js';
export { RepositoryStore, type RepositoryPage } from './repository-store.js';
export type { RepositoryRecord } from './repository-record.js';
export {
  UploadStore,
  type UploadLimits,
  type UploadRef,
  type PartClaim,
  type PartPolicy,
  type InitiateOptions,
  MAX_PART_NUMBER,
  type CompletionStart,
} from './upload-store.js';
export { LayerStore, type LayerLink } from './layer-store.js';
export { BlobIndex } from './blob-index.js';
export {
  parseUploadRecord,
  type UploadRecord,
  type UploadStatus,
  type PartRecord,
} from './upload-record.js';
export { WorkerRegistry } from './worker-registry.js';
export { sharedSecret } from './shared-secret.js';
export { toStatusDocument, isoTime, type UploadStatusDocument } from './upload-status-document.js';
export { createStores, type Stores } from './create-stores.js';

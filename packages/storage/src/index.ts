export {
  MAX_PART_NUMBER,
  MIN_PART_NUMBER,
  type BlobLocation,
  type Blobs,
  type ByteRange,
  type LocalParts,
  type ObjectEncryption,
  type ObjectInfo,
  type SmallObjects,
  type StorageDriver,
  type UploadSessions,
  type UploadListing,
  type UploadSession,
  type WriteOptions,
  type WrittenPart,
} from './storage-driver.js';
export {
  InvalidPathError,
  PartExistsError,
  PartMissingError,
  ShortReadError,
  PathNotFoundError,
  RangeNotSatisfiableError,
  StorageError,
  UploadSessionNotFoundError,
  StorageThrottledError,
  isStorageThrottled,
} from './errors.js';
export { validateLogicalPath } from './storage-driver.js';
export { writeFileAtomically } from './filesystem-files.js';
export {
  createFilesystemDriver,
  type CompleteStep,
  type FilesystemDriverOptions,
} from './filesystem-driver.js';
export { sessionFromJson, sessionToJson } from './storage-driver.js';
export {
  createS3Client,
  createS3Driver,
  createS3DriverFromSettings,
  PartNotReadableError,
  type S3ConnectionOptions,
  type S3Credentials,
  type S3Driver,
  type S3DriverOptions,
  type S3StorageSettings,
} from './s3/index.js';
export { createConfiguredStorageDriver, type StorageSettings } from './create-configured-driver.js';
export { checkStorage } from './check-storage.js';

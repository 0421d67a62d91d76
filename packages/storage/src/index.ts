export {
  MAX_PART_NUMBER,
  MIN_PART_NUMBER,
  type BlobLocation,
  type Blobs,
  type ByteRange,
  type LocalParts,
  type StagedPartFile,
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
// The S3 driver's code is at '@longshore/storage/s3', loaded only where it is used: importing it
// loads the AWS SDK. Its error class and types are plain and stay here.
export { PartNotReadableError } from './s3/s3-storage-errors.js';
export type {
  S3ConnectionOptions,
  S3Credentials,
  S3Driver,
  S3DriverOptions,
  S3StorageSettings,
} from './s3/index.js';
export { createConfiguredStorageDriver, type StorageSettings } from './create-configured-driver.js';
export { checkStorage } from './check-storage.js';
export { bootMark, bootOfMark, currentBootId, writtenInBoot } from './machine-boot.js';

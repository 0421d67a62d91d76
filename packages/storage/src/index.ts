export type { ByteRange, FileInfo, MoveOutcome, StorageDriver } from './storage-driver.js';
export { InvalidPathError, PathNotFoundError, RangeNotSatisfiableError, StorageError } from './errors.js';
export { validateLogicalPath } from './logical-path.js';
export { createFilesystemDriver, type FilesystemDriverOptions } from './filesystem-driver.js';

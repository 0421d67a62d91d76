import { createFilesystemDriver } from './filesystem-driver.js';
import { createS3DriverFromSettings, type S3StorageSettings } from './s3/s3-driver-from-settings.js';
import type { StorageDriver } from './storage-driver.js';

/** The storage settings as the configuration names them (STORAGE, DATA_DIR/storage, S3_*). */
export interface StorageSettings extends S3StorageSettings {
  storage: 'filesystem' | 's3';
  storageDir: string;
}

/** The driver STORAGE names: the filesystem under DATA_DIR/storage, or S3. */
export function createConfiguredStorageDriver(settings: StorageSettings): StorageDriver {
  return settings.storage === 's3'
    ? createS3DriverFromSettings(settings)
    : createFilesystemDriver({ rootDir: settings.storageDir });
}

import { createFilesystemDriver } from './filesystem-driver.js';
import type { S3StorageSettings } from './s3/s3-driver-from-settings.js';
import type { StorageDriver } from './storage-driver.js';

/** The storage settings as the configuration names them (STORAGE, DATA_DIR/storage, S3_*). */
export interface StorageSettings extends S3StorageSettings {
  storage: 'filesystem' | 's3';
  storageDir: string;
}

/**
 * The driver STORAGE names: the filesystem under DATA_DIR/storage, or S3. The S3 driver (and the
 * AWS SDK under it, about 20 MiB of each process's memory) is loaded only when STORAGE=s3.
 */
export async function createConfiguredStorageDriver(settings: StorageSettings): Promise<StorageDriver> {
  if (settings.storage !== 's3') return createFilesystemDriver({ rootDir: settings.storageDir });
  const { createS3DriverFromSettings } = await import('./s3/s3-driver-from-settings.js');
  return createS3DriverFromSettings(settings);
}

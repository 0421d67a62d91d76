import { createS3Driver, type S3Driver } from './s3-driver.js';

/** The S3 settings as the configuration names them (packages/config: S3_ENDPOINT, S3_BUCKET, ...). */
export interface S3StorageSettings {
  s3Endpoint?: string | undefined;
  s3Bucket?: string | undefined;
  s3Region: string;
  s3Prefix: string;
  s3ForcePathStyle: boolean;
  /** S3_MAX_ATTEMPTS; default 8. */
  s3MaxAttempts?: number;
}

/** The S3 driver for STORAGE=s3, with credentials from the standard AWS chain. */
export function createS3DriverFromSettings(settings: S3StorageSettings): S3Driver {
  if (settings.s3Bucket === undefined) throw new Error('S3_BUCKET must be set when STORAGE=s3');
  return createS3Driver({
    bucket: settings.s3Bucket,
    prefix: settings.s3Prefix,
    region: settings.s3Region,
    forcePathStyle: settings.s3ForcePathStyle,
    ...(settings.s3MaxAttempts !== undefined ? { maxAttempts: settings.s3MaxAttempts } : {}),
    ...(settings.s3Endpoint ? { endpoint: settings.s3Endpoint } : {}),
  });
}

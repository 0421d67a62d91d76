export { createS3Driver, type S3Driver, type S3DriverOptions } from './s3-driver.js';
export { createS3Client, type S3ConnectionOptions, type S3Credentials } from './s3-client.js';
export { PartNotReadableError } from './s3-storage-errors.js';
export { createS3DriverFromSettings, type S3StorageSettings } from './s3-driver-from-settings.js';

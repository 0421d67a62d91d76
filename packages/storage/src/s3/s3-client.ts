import { S3Client } from '@aws-sdk/client-s3';

/** An access key pair (and session token), as the AWS SDK takes it. */
export interface S3Credentials {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken?: string;
}

export interface S3ConnectionOptions {
  /** An S3-compatible endpoint (`http://minio:9000`); undefined or '' for AWS itself. */
  endpoint?: string;
  region: string;
  /** Path-style URLs (`endpoint/bucket/key`), as most S3-compatible stores want. */
  forcePathStyle?: boolean;
  /** Default: the standard AWS chain (AWS_ACCESS_KEY_ID ..., profiles, instance roles). */
  credentials?: S3Credentials;
  /** Tries per request, throttling (SlowDown, 503) and transient errors included; default 8. */
  maxAttempts?: number;
}

/**
 * An S3 client as the driver needs it. Throttling and transient failures are retried with
 * exponential backoff, and the adaptive mode also slows this client down while the store says
 * SlowDown, so a busy store costs time rather than errors. Checksums are sent only where an
 * operation requires one: several S3-compatible stores (Swift's s3api among them) reject the
 * newer flexible-checksum headers and aws-chunked trailers.
 */
export function createS3Client(options: S3ConnectionOptions): S3Client {
  return new S3Client({
    region: options.region,
    ...(options.endpoint ? { endpoint: options.endpoint } : {}),
    forcePathStyle: options.forcePathStyle ?? false,
    ...(options.credentials ? { credentials: options.credentials } : {}),
    maxAttempts: options.maxAttempts ?? 8,
    retryMode: 'adaptive',
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
  });
}

import { S3Client } from '@aws-sdk/client-s3';
import { StorageThrottledError } from '../errors.js';
import { isThrottling } from './s3-error-kinds.js';

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
 *
 * A request still throttled after its last try rejects with StorageThrottledError (the S3 error
 * as its cause), so callers can answer "retry later" without knowing S3.
 */
export function createS3Client(options: S3ConnectionOptions): S3Client {
  const client = new S3Client({
    region: options.region,
    ...(options.endpoint ? { endpoint: options.endpoint } : {}),
    forcePathStyle: options.forcePathStyle ?? false,
    ...(options.credentials ? { credentials: options.credentials } : {}),
    maxAttempts: options.maxAttempts ?? 8,
    retryMode: 'adaptive',
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
  });
  // At the initialize step, outside the retry middleware: sees only what every try left.
  client.middlewareStack.add(
    (next) => async (args) => {
      try {
        return await next(args);
      } catch (error) {
        if (!isThrottling(error)) throw error;
        const attempts = (error as { $metadata?: { attempts?: number } }).$metadata?.attempts;
        throw new StorageThrottledError(
          `the object store is throttling requests (${(error as Error).name}${attempts ? ` after ${attempts} tries` : ''})`,
          { cause: error },
        );
      }
    },
    { step: 'initialize', name: 'longshoreStorageThrottled', priority: 'high' },
  );
  return client;
}

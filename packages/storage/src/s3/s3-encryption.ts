import type { ObjectEncryption } from '../storage-driver.js';

/** The SSE parameters of S3's PutObject / CreateMultipartUpload; {} for none (the bucket's default). */
export interface SseParameters {
  ServerSideEncryption?: ObjectEncryption['serverSideEncryption'];
  SSEKMSKeyId?: string;
}

export function encryptionParameters(encryption: ObjectEncryption | undefined): SseParameters {
  if (!encryption) return {};
  return {
    ServerSideEncryption: encryption.serverSideEncryption,
    ...(encryption.kmsKeyId ? { SSEKMSKeyId: encryption.kmsKeyId } : {}),
  };
}

/** The encryption as kept in an upload session's (string-valued) state. */
export function encryptionState(encryption: ObjectEncryption | undefined): Record<string, string> {
  if (!encryption) return {};
  return { sse: encryption.serverSideEncryption, ...(encryption.kmsKeyId ? { sseKmsKeyId: encryption.kmsKeyId } : {}) };
}

const SSE_VALUES: readonly string[] = [
  'AES256',
  'aws:kms',
  'aws:kms:dsse',
] satisfies ObjectEncryption['serverSideEncryption'][];

/** The encryption a session's state carries; undefined for none (sessions made before it, listed ones). */
export function encryptionFromState(state: Record<string, string>): ObjectEncryption | undefined {
  const { sse, sseKmsKeyId } = state;
  if (sse === undefined) return undefined;
  if (!SSE_VALUES.includes(sse)) throw new Error(`unknown server-side encryption '${sse}' in an upload session`);
  return {
    serverSideEncryption: sse as ObjectEncryption['serverSideEncryption'],
    ...(sseKmsKeyId ? { kmsKeyId: sseKmsKeyId } : {}),
  };
}

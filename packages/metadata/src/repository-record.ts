import type { ObjectEncryption } from '@longshore/storage';

/** A repository as stored (and returned by the ECR API, with ARN and URI added). */
export interface RepositoryRecord {
  repositoryName: string;
  registryId: string;
  createdAt: number;
  imageTagMutability: string;
  imageTagMutabilityExclusionFilters?: { filterType: string; filter: string }[];
  imageScanningConfiguration: { scanOnPush: boolean };
  encryptionConfiguration: { encryptionType: string; kmsKey?: string };
  /**
   * True when CreateRepository named an `encryptionConfiguration`: everything stored for the
   * repository is then written with that S3 server-side encryption. Absent (the ECR default,
   * reported as AES256): no SSE header is sent and the bucket's default encryption applies.
   */
  encryptionRequested?: boolean;
  tags?: { Key: string; Value: string }[];
}

const SERVER_SIDE_ENCRYPTION: Record<string, ObjectEncryption['serverSideEncryption']> = {
  AES256: 'AES256',
  KMS: 'aws:kms',
  KMS_DSSE: 'aws:kms:dsse',
};

/** The storage encryption of a repository's objects: its requested encryptionConfiguration, in S3's terms. */
export function objectEncryptionOf(record: RepositoryRecord): ObjectEncryption | undefined {
  if (!record.encryptionRequested) return undefined;
  const { encryptionType, kmsKey } = record.encryptionConfiguration;
  const serverSideEncryption = SERVER_SIDE_ENCRYPTION[encryptionType];
  if (!serverSideEncryption) return undefined;
  return { serverSideEncryption, ...(kmsKey && serverSideEncryption !== 'AES256' ? { kmsKeyId: kmsKey } : {}) };
}

import {
  EmptyUploadException,
  InvalidLayerException,
  InvalidLayerPartException,
  InvalidParameterException,
  LayerAlreadyExistsException,
  LayerPartTooSmallException,
  LimitExceededException,
  RepositoryAlreadyExistsException,
  RepositoryNotEmptyException,
  RepositoryNotFoundException,
  ServerException,
  UploadNotFoundException,
} from '../errors/ecr-errors.js';
import type { LongshoreError } from '../errors/longshore-error.js';
import type { RefusalCode, RefusalFacts, RefusalRecord } from '../errors/refusal.js';
import { MAX_PART_NUMBER } from '../uploads/upload-limits.js';

type Wording = (facts: RefusalFacts) => LongshoreError;

const invalidPart = (facts: RefusalFacts, message: string) =>
  new InvalidLayerPartException(message, {
    registryId: facts.registryId ?? '',
    repositoryName: facts.repositoryName ?? '',
    uploadId: facts.uploadId ?? '',
    lastValidByteReceived: (facts.bytesReceived ?? 0) - 1,
  });

const inRegistry = ({ repositoryName, registryId }: RefusalFacts) =>
  `the repository with name '${repositoryName}' in registry with id '${registryId}'`;

/**
 * The one place a refusal's code becomes words: each code, with its facts, as the domain error
 * every door answers (the ECR exception and its message; the wire table picks each wire's code
 * and status from the exception, so /v1 and /v2 answer it with their own codes).
 */
const wordings: Record<RefusalCode, Wording> = {
  REPOSITORY_NOT_FOUND: ({ repositoryName, registryId }) =>
    new RepositoryNotFoundException(
      `The repository with name '${repositoryName}' does not exist in the registry with id '${registryId}'`,
    ),
  REPOSITORY_ALREADY_EXISTS: ({ repositoryName, registryId }) =>
    new RepositoryAlreadyExistsException(
      `The repository with name '${repositoryName}' already exists in the registry with id '${registryId}'`,
    ),
  REPOSITORY_NOT_EMPTY: (facts) =>
    new RepositoryNotEmptyException(
      `The repository with name '${facts.repositoryName}' in registry with id '${facts.registryId}' cannot be deleted because it still contains images`,
    ),
  UPLOAD_NOT_FOUND: (facts) =>
    new UploadNotFoundException(`The upload with id '${facts.uploadId}' does not exist for ${inRegistry(facts)}`),
  NOT_UPLOADING: ({ uploadId, status }) =>
    new UploadNotFoundException(
      status === undefined
        ? `The upload with id '${uploadId}' is already complete`
        : `The upload with id '${uploadId}' no longer takes parts (${status})`,
    ),
  PART_TOO_LARGE: ({ limit }) =>
    new InvalidParameterException(`A layer part of this upload may be at most ${limit} bytes`),
  BAD_LENGTH: (facts) => invalidPart(facts, `The part's byte range does not match its ${facts.length} bytes`),
  OUT_OF_ORDER: (facts) =>
    invalidPart(facts, `The part must start at byte ${facts.bytesReceived} (the next byte of the layer)`),
  SUPERSEDED: (facts) => invalidPart(facts, 'This part upload was superseded by a retry of the same part'),
  TOO_MANY_PARTS: ({ limit }) =>
    new LimitExceededException(`An upload may have at most ${limit} parts (and ${MAX_PART_NUMBER} part uploads)`),
  LAYER_TOO_LARGE: ({ limit }) => new LimitExceededException(`A layer may be at most ${limit} bytes`),
  EMPTY: ({ uploadId }) => new EmptyUploadException(`The upload with id '${uploadId}' contains no layer parts`),
  PART_TOO_SMALL: ({ limit }) =>
    new LayerPartTooSmallException(`Layer parts other than the last must be at least ${limit} bytes`),
  LAYER_EXISTS: (facts) =>
    new LayerAlreadyExistsException(`The layer '${facts.layerDigest}' already exists in ${inRegistry(facts)}`),
  PARTS_NOT_CONTIGUOUS: ({ offset }) => new InvalidLayerException(`Layer parts are not contiguous at byte ${offset}`),
  PARTS_SIZE_MISMATCH: ({ size, bytesReceived }) =>
    new InvalidLayerException(`Layer parts add up to ${size} bytes, not ${bytesReceived}`),
  PART_CHECKSUM_MISMATCH: ({ partNumber, offset, length }) =>
    new InvalidLayerException(
      partNumber !== undefined
        ? `A stored part (number ${partNumber}) does not match the checksum recorded when it arrived`
        : `The stored part at bytes ${offset}-${(offset ?? 0) + (length ?? 0) - 1} does not match the checksum recorded when it arrived`,
    ),
  LAYER_DATA_MISSING: () => new InvalidLayerException('The uploaded layer data is missing from storage'),
  LAYER_HASH_MISMATCH: () =>
    new InvalidLayerException('The stored layer does not match the digest computed as its parts arrived'),
  PUBLISHED_SIZE_MISMATCH: ({ size, bytesReceived }) =>
    new InvalidLayerException(`The published layer has ${size} bytes, not the ${bytesReceived} uploaded`),
  PUBLISHED_BLOB_MISMATCH: ({ size, layerDigest }) =>
    new InvalidLayerException(
      `The published layer (${size} bytes, ${layerDigest}) does not match the digest computed as its parts arrived`,
    ),
  DIGEST_NOT_NAMED: ({ layerDigest, digests }) =>
    new InvalidLayerException(
      `The layer's digest is ${layerDigest}, which matches none of the digests given: ${(digests ?? []).join(', ')}`,
    ),
  FINALIZE_FAILED: () => new ServerException('Finalization failed repeatedly; push the layer again'),
};

/** The domain error a refusal `code` with its `facts` is answered as. */
export function wordRefusal(code: RefusalCode, facts: RefusalFacts = {}): LongshoreError {
  return wordings[code](facts);
}

/** Every refusal code (for tests that walk them all). */
export const refusalCodes = Object.keys(wordings) as RefusalCode[];

/**
 * A stored refusal (an upload status record's `error`) read back. A record this version cannot
 * word — written by a Longshore before refusals were stored as codes (`{name, message}`), or
 * carrying a code it does not know — reads as FINALIZE_FAILED, so the upload's status still
 * answers (a failure, pushed again) instead of failing every read until the record expires.
 */
export function readRefusalRecord(stored: string): RefusalRecord {
  let parsed: unknown;
  try {
    parsed = JSON.parse(stored);
  } catch {
    return { code: 'FINALIZE_FAILED' };
  }
  const record = parsed as Partial<RefusalRecord> | null;
  if (record && typeof record.code === 'string' && Object.hasOwn(wordings, record.code)) {
    return { code: record.code, facts: typeof record.facts === 'object' && record.facts ? record.facts : {} };
  }
  return { code: 'FINALIZE_FAILED' };
}

import {
  EmptyUploadException,
  InvalidLayerPartException,
  InvalidParameterException,
  LayerAlreadyExistsException,
  LayerPartTooSmallException,
  LimitExceededException,
  type LongshoreError,
  RepositoryNotFoundException,
  UploadNotFoundException,
  UploadRefusedError,
  type UploadRefusalCode,
  type UploadRefusalFacts,
} from '@longshore/domain';
import { MAX_PART_NUMBER, type UploadRef } from '@longshore/metadata';

type Wording = (ref: UploadRef, facts: UploadRefusalFacts) => LongshoreError;

const invalidPart = (ref: UploadRef, facts: UploadRefusalFacts, message: string) =>
  new InvalidLayerPartException(message, {
    registryId: ref.registryId,
    repositoryName: ref.repositoryName,
    uploadId: ref.uploadId,
    lastValidByteReceived: (facts.bytesReceived ?? 0) - 1,
  });

/**
 * The one place the upload store's refusals are worded: each code, with its facts, as the domain
 * error every door answers (in ECR's words; each wire's table picks its code and status).
 */
const wordings: Record<UploadRefusalCode, Wording> = {
  REPOSITORY_NOT_FOUND: (ref) =>
    new RepositoryNotFoundException(
      `The repository with name '${ref.repositoryName}' does not exist in the registry with id '${ref.registryId}'`,
    ),
  UPLOAD_NOT_FOUND: (ref) =>
    new UploadNotFoundException(
      `The upload with id '${ref.uploadId}' does not exist for the repository with name '${ref.repositoryName}' in registry with id '${ref.registryId}'`,
    ),
  NOT_UPLOADING: (ref, { status }) =>
    new UploadNotFoundException(
      status === undefined
        ? `The upload with id '${ref.uploadId}' is already complete`
        : `The upload with id '${ref.uploadId}' no longer takes parts (${status})`,
    ),
  PART_TOO_LARGE: (_ref, { limit }) =>
    new InvalidParameterException(`A layer part of this upload may be at most ${limit} bytes`),
  BAD_LENGTH: (ref, facts) => invalidPart(ref, facts, `The part's byte range does not match its ${facts.length} bytes`),
  OUT_OF_ORDER: (ref, facts) =>
    invalidPart(ref, facts, `The part must start at byte ${facts.bytesReceived} (the next byte of the layer)`),
  SUPERSEDED: (ref, facts) => invalidPart(ref, facts, 'This part upload was superseded by a retry of the same part'),
  TOO_MANY_PARTS: (_ref, { limit }) =>
    new LimitExceededException(`An upload may have at most ${limit} parts (and ${MAX_PART_NUMBER} part uploads)`),
  LAYER_TOO_LARGE: (_ref, { limit }) => new LimitExceededException(`A layer may be at most ${limit} bytes`),
  EMPTY: (ref) => new EmptyUploadException(`The upload with id '${ref.uploadId}' contains no layer parts`),
  PART_TOO_SMALL: (_ref, { limit }) =>
    new LayerPartTooSmallException(`Layer parts other than the last must be at least ${limit} bytes`),
  LAYER_EXISTS: (ref, { layerDigest }) =>
    new LayerAlreadyExistsException(
      `The layer '${layerDigest}' already exists in the repository with name '${ref.repositoryName}' in registry with id '${ref.registryId}'`,
    ),
};

/** The domain error for a refusal `code` of the upload `ref`. */
export function uploadRefusal(code: UploadRefusalCode, ref: UploadRef, facts: UploadRefusalFacts = {}): LongshoreError {
  return wordings[code](ref, facts);
}

/** `err` as a door answers it: a store's refusal worded as its domain error; anything else as it is. */
export function worded(err: unknown, ref: UploadRef): unknown {
  return err instanceof UploadRefusedError ? uploadRefusal(err.code, ref, err.facts) : err;
}

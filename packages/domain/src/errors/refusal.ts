/**
 * Why a store (or the worker, finalizing an upload) refused a step: a code and the facts an answer
 * needs, never wording. Stores return codes and facts; each wire words them (see
 * wire/refusal-wording.ts, the one place a code becomes the domain error the doors answer).
 */
export type RefusalCode =
  /** The repository named does not exist (in the registry named). */
  | 'REPOSITORY_NOT_FOUND'
  /** A repository of this name exists already. */
  | 'REPOSITORY_ALREADY_EXISTS'
  /** A repository that still holds images, deleted without force. */
  | 'REPOSITORY_NOT_EMPTY'
  /** No such upload, or not of the repository and registry named. */
  | 'UPLOAD_NOT_FOUND'
  /** The upload no longer takes parts (its completion began, or it was aborted): `status`. */
  | 'NOT_UPLOADING'
  /** A part larger than the upload's policy allows: `limit`. */
  | 'PART_TOO_LARGE'
  /** A part whose byte range disagrees with its `length`. */
  | 'BAD_LENGTH'
  /** A part that does not start at the next byte of the layer (`bytesReceived`). */
  | 'OUT_OF_ORDER'
  /** A part write whose claim a retry of the same part took over. */
  | 'SUPERSEDED'
  /** More parts (`limit`) or part uploads than an upload may have. */
  | 'TOO_MANY_PARTS'
  /** A layer larger than MAX_LAYER_SIZE (`limit`). */
  | 'LAYER_TOO_LARGE'
  /** A completion of an upload with no bytes, which its policy does not allow. */
  | 'EMPTY'
  /** A completion of an upload with a part other than the last below `limit` bytes. */
  | 'PART_TOO_SMALL'
  /** A layer (`layerDigest`) the repository already holds, linked by another upload. */
  | 'LAYER_EXISTS'
  /** Finalization: the committed parts leave a gap at `offset`. */
  | 'PARTS_NOT_CONTIGUOUS'
  /** Finalization: the committed parts add up to `size` bytes, not the `bytesReceived`. */
  | 'PARTS_SIZE_MISMATCH'
  /** Finalization: a stored part (`partNumber`, or at `offset` with `length`) is not the bytes that arrived. */
  | 'PART_CHECKSUM_MISMATCH'
  /** Finalization: the stored layer data is missing (a part, or a short read). */
  | 'LAYER_DATA_MISSING'
  /** Finalization: a re-hash of the stored parts disagrees with the digest carried as they arrived. */
  | 'LAYER_HASH_MISMATCH'
  /** Finalization: the published blob has `size` bytes, not the `bytesReceived`. */
  | 'PUBLISHED_SIZE_MISMATCH'
  /** Finalization: the published blob (`size` bytes, `layerDigest`) is not the digest computed as the parts arrived. */
  | 'PUBLISHED_BLOB_MISMATCH'
  /** Finalization: the layer's digest (`layerDigest`) is none of the `digests` the client named. */
  | 'DIGEST_NOT_NAMED'
  /** Finalization kept failing (transiently) until its attempts ran out. */
  | 'FINALIZE_FAILED';

/** The facts an answer to a refusal needs, as far as the refusing code knew them. */
export interface RefusalFacts {
  repositoryName?: string;
  registryId?: string;
  uploadId?: string;
  /** Bytes of the layer received so far: the next part starts there. */
  bytesReceived?: number;
  /** The limit the request went over (bytes, or parts). */
  limit?: number;
  /** The declared length of a part (whose range disagrees with it), or a stored part's length. */
  length?: number;
  /** The upload's status, when it no longer takes parts. */
  status?: string;
  /** The layer concerned (the one the repository holds, the one computed). */
  layerDigest?: string;
  /** The digests the client named. */
  digests?: string[];
  /** A size in bytes found (of the parts, of a published blob). */
  size?: number;
  /** A byte offset (where parts leave a gap, where a stored part starts). */
  offset?: number;
  /** A storage part number. */
  partNumber?: number;
}

/** A refusal as stored (an upload's status record) and as it crosses a process: its code and facts. */
export interface RefusalRecord {
  code: RefusalCode;
  facts?: RefusalFacts;
}

/** A step refused for good: a code and its facts, no wording (see RefusalCode). */
export class RefusedError extends Error {
  override readonly name = 'RefusedError';
  constructor(
    readonly code: RefusalCode,
    readonly facts: RefusalFacts = {},
  ) {
    super(`refused: ${code}`);
  }

  toRecord(): RefusalRecord {
    return { code: this.code, facts: { ...this.facts } };
  }
}

/** Whether `err` is a refusal with one of `codes`. */
export function isRefusal(err: unknown, ...codes: RefusalCode[]): err is RefusedError {
  return err instanceof RefusedError && codes.includes(err.code);
}

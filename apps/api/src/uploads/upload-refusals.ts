import { type LongshoreError, type RefusalCode, type RefusalFacts, RefusedError, wordRefusal } from '@longshore/domain';
import type { UploadRef } from '@longshore/metadata';

/** The domain error for a refusal `code` of the upload `ref` (worded once, in wire/refusal-wording.ts). */
export function uploadRefusal(code: RefusalCode, ref: UploadRef, facts: RefusalFacts = {}): LongshoreError {
  const { uploadId, repositoryName, registryId } = ref;
  return wordRefusal(code, { uploadId, repositoryName, registryId, ...facts });
}

/** `err` as a door answers it: a store's refusal worded, with the upload's facts; anything else as it is. */
export function worded(err: unknown, ref: UploadRef): unknown {
  return err instanceof RefusedError ? uploadRefusal(err.code, ref, err.facts) : err;
}

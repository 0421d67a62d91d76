import { RefusedError } from '@longshore/domain';
import { digestAlgorithmOf, digestFromState, sha256Digest, type HashPool } from '@longshore/digest';
import type { CheckedParts, PartRecord, UploadRecord } from '@longshore/metadata';
import {
  PartMissingError,
  PartNotReadableError,
  PathNotFoundError,
  ShortReadError,
  type StorageDriver,
  type UploadSession,
  bootOfMark,
  writtenInBoot,
} from '@longshore/storage';
import { hashStoredParts, storedPartMatches } from './hash-stored-parts.js';

export interface VerifyDeps {
  storage: StorageDriver;
  hashPool: Pick<HashPool, 'checksumFileRange' | 'hashFileRanges'>;
  /** `full` also re-hashes the whole stored layer instead of trusting the carried hash state. */
  verifyMode: 'parts' | 'full';
  onVerifiedBytes?(bytes: number): void;
  /**
   * This machine's boot id (storage's `currentBootId`): a part whose record carries it as its mark
   * was written here since the last boot, and is only fsynced (machine-boot.ts). Undefined: no
   * mark is trusted.
   */
  bootId?: string | undefined;
}

/**
 * Proves the stored parts are the bytes that arrived and returns the layer's digest: every
 * committed part is checked against the checksum recorded when it arrived — in the background
 * while the upload went on, or here, in parallel on the hash pool, for the parts not yet
 * checked — while the layer digest comes from the running state carried from part to part (or,
 * when that state is missing or full verification is on, from one streaming re-hash of the parts
 * in order). Only committed parts are read: a part nobody committed is never part of the layer.
 * Returns undefined when the state is missing and the parts are in a remote store (S3 cannot read
 * back a part that went straight into a multipart upload): the published blob is hashed instead.
 * A layer named by a sha512 digest (/v2) has no carried state for that algorithm: its digest is
 * always a re-hash of the stored parts (or, in a remote store, of the published blob).
 */
export async function verifyUpload(
  record: UploadRecord,
  parts: PartRecord[],
  checked: CheckedParts,
  session: UploadSession,
  deps: VerifyDeps,
): Promise<string | undefined> {
  const size = record.bytesReceived;
  assertContiguous(parts, size);

  if (checked.bad.length > 0) {
    throw new RefusedError('PART_CHECKSUM_MISMATCH', { partNumber: checked.bad[0] });
  }
  const algorithm = digestAlgorithmOf(record.layerDigests?.[0]);
  const carried =
    algorithm === 'sha256' && record.hashState
      ? await digestFromState(Buffer.from(record.hashState, 'base64'))
      : undefined;
  // Parts the background check already proved are not read again, nor parts written on this
  // machine since it booted (fsynced by the completion: machine-boot.ts). A part marked by another
  // boot has no checksum to read it back against: the layer is re-hashed instead. (Every check
  // starts only after the last await before Promise.all, so none can reject unobserved.)
  const unchecked = parts.filter(
    (part) => !checked.ok.has(part.partNumber) && !writtenInBoot(part.checksum, deps.bootId),
  );
  const markedElsewhere = unchecked.some((part) => bootOfMark(part.checksum) !== undefined);
  const partChecks = unchecked.map(async (part) => {
    if (bootOfMark(part.checksum) !== undefined) return;
    const matches = await storedPartMatches(deps, session, part, part.checksum).catch((err: unknown) => {
      // A part the store took straight into an S3 multipart upload cannot be read back before
      // completion; the store checked its bytes on receipt (the signed payload hash).
      if (err instanceof PartNotReadableError) return true;
      throw err;
    });
    if (!matches) {
      throw new RefusedError('PART_CHECKSUM_MISMATCH', { offset: part.offset, length: part.length });
    }
    deps.onVerifiedBytes?.(part.length);
  });
  // Full verification of parts a remote store holds is a re-hash of the published blob instead
  // (see verifyPublishedBlob): S3 cannot read parts back that went straight into a multipart upload.
  // Without the carried state, parts a remote store holds are not re-hashed either: the digest
  // is left undefined, for the caller to take from the published blob (see finalizeUpload).
  const remote = deps.storage.localParts === undefined;
  const rehash =
    !remote && (!carried || deps.verifyMode === 'full' || markedElsewhere)
      ? hashStoredParts(deps, session, parts, algorithm).then((hex) =>
          algorithm === 'sha256' ? sha256Digest(hex) : `${algorithm}:${hex}`,
        )
      : undefined;

  const [rehashed] = await Promise.all([rehash, ...partChecks]).catch((err: unknown) => {
    if (err instanceof PathNotFoundError || err instanceof PartMissingError || err instanceof ShortReadError) {
      throw new RefusedError('LAYER_DATA_MISSING');
    }
    throw err;
  });
  if (carried && rehashed && carried !== rehashed) {
    throw new RefusedError('LAYER_HASH_MISMATCH');
  }
  return rehashed ?? carried;
}

/**
 * Whether `full` verification re-hashes the published blob rather than the parts: when a part is
 * not a local file (a remote store such as S3), the blob is read once, after completion.
 */
export function needsBlobRehash(deps: Pick<VerifyDeps, 'storage' | 'verifyMode'>): boolean {
  return deps.verifyMode === 'full' && deps.storage.localParts === undefined;
}

export function assertContiguous(parts: PartRecord[], size: number): void {
  let next = 0;
  for (const part of parts) {
    if (part.offset !== next) throw new RefusedError('PARTS_NOT_CONTIGUOUS', { offset: next });
    next += part.length;
  }
  if (next !== size) throw new RefusedError('PARTS_SIZE_MISMATCH', { size: next, bytesReceived: size });
}

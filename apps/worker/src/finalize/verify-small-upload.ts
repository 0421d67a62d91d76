import { createHash } from 'node:crypto';
import { RefusedError } from '@longshore/domain';
import {
  createPartChecksum,
  digestAlgorithmOf,
  digestFromState,
  partChecksumAlgorithm,
  sha256Digest,
} from '@longshore/digest';
import type { CheckedParts, PartRecord, UploadRecord } from '@longshore/metadata';
import { bootOfMark, type LocalParts, type UploadSession, writtenInBoot } from '@longshore/storage';
import { readPartFileSync } from '@longshore/storage/local-part-file';
import { assertContiguous } from './verify-upload.js';

/**
 * A layer this small is finalized from memory (see verifySmallUpload): its committed parts are
 * read once, on the worker's thread, checked, and written as the published blob, instead of
 * hashed on the pool and moved into place file by file. Larger layers keep the streaming path.
 */
export const SMALL_BLOB_BYTES = 4 * 1024 * 1024;

/** A small layer's verified bytes (its committed parts, in order) and digest. */
export interface VerifiedBytes {
  digest: string;
  bytes: Buffer[];
  /** Bytes checked against their part checksums here (not by the background check before). */
  checkedBytes: number;
}

/**
 * What verifyUpload proves, for a layer of at most SMALL_BLOB_BYTES in local part files, with
 * the same refusals: the parts are contiguous and add up to the bytes received; each matches the
 * checksum recorded when it arrived (unless the background check proved it already); the digest
 * is the carried SHA-256 state's, or (no state, a sha512 layer, or `full` verification) a hash
 * of the bytes read, and both must agree when there are both.
 */
export async function verifySmallUpload(
  record: UploadRecord,
  parts: PartRecord[],
  checked: CheckedParts,
  session: UploadSession,
  local: LocalParts,
  verifyMode: 'parts' | 'full',
  /** This machine's boot id: parts marked with it are not checked (machine-boot.ts). */
  bootId?: string,
): Promise<VerifiedBytes> {
  assertContiguous(parts, record.bytesReceived);
  if (checked.bad.length > 0) throw new RefusedError('PART_CHECKSUM_MISMATCH', { partNumber: checked.bad[0] });
  const bytes = parts.map((part) => readPart(local, session, part));
  let checkedBytes = 0;
  // A part marked by another boot has no checksum to compare: the bytes are hashed below instead.
  let markedElsewhere = false;
  for (const [i, part] of parts.entries()) {
    if (checked.ok.has(part.partNumber) || writtenInBoot(part.checksum, bootId)) continue;
    if (bootOfMark(part.checksum) !== undefined) {
      markedElsewhere = true;
      continue;
    }
    if (!(await matchesChecksum(bytes[i]!, part.checksum))) {
      throw new RefusedError('PART_CHECKSUM_MISMATCH', { offset: part.offset, length: part.length });
    }
    checkedBytes += part.length;
  }
  const algorithm = digestAlgorithmOf(record.layerDigests?.[0]);
  const carried =
    algorithm === 'sha256' && record.hashState
      ? await digestFromState(Buffer.from(record.hashState, 'base64'))
      : undefined;
  if (carried && verifyMode !== 'full' && !markedElsewhere) return { digest: carried, bytes, checkedBytes };
  const hash = createHash(algorithm);
  for (const chunk of bytes) hash.update(chunk);
  const hex = hash.digest('hex');
  const rehashed = algorithm === 'sha256' ? sha256Digest(hex) : `${algorithm}:${hex}`;
  if (carried && carried !== rehashed) throw new RefusedError('LAYER_HASH_MISMATCH');
  return { digest: rehashed, bytes, checkedBytes };
}

/** A committed part's bytes; LAYER_DATA_MISSING when its file is gone or shorter than committed. */
function readPart(local: LocalParts, session: UploadSession, part: PartRecord): Buffer {
  if (part.length === 0) return Buffer.alloc(0);
  try {
    return readPartFileSync(local.partPath(session, part.partNumber), part.length);
  } catch (error) {
    const code = error instanceof Error && 'code' in error ? error.code : undefined;
    if (code === 'ENOENT' || code === 'ESHORT' || code === 'ENOTDIR') throw new RefusedError('LAYER_DATA_MISSING');
    throw error;
  }
}

/** Whether bytes match a recorded part checksum (CRC32C, or SHA-256 for older records); an unreadable one never does. */
async function matchesChecksum(bytes: Buffer, recorded: string): Promise<boolean> {
  const algorithm = partChecksumAlgorithm(recorded);
  if (!algorithm) return false;
  const checksum = await createPartChecksum(algorithm);
  checksum.update(bytes);
  return checksum.digest() === recorded;
}

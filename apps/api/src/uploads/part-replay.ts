import { readFile } from 'node:fs/promises';
import { InvalidLayerPartException } from '@longshore/domain';
import { partChecksumAlgorithm, partChecksumOf } from '@longshore/digest';
import type { UploadStore } from '@longshore/metadata';
import { bootOfMark, sessionFromJson, type LocalParts } from '@longshore/storage';

/**
 * Whether a part refused as out of order is the replay of a part already committed: the same
 * first byte, the same length and the same bytes. A part recorded with a checksum is compared by
 * it (computed with the recorded checksum's algorithm); a different part that collides with the
 * recorded CRC32C would be answered as accepted but changes nothing stored: its layer digest then
 * fails completion. A part recorded with a boot mark instead (machine-boot.ts: a large part the
 * ECR door wrote to a local file) has no checksum: its stored bytes are read back and compared
 * (a replay is rare; a part that cannot be read is not one).
 * That happens when a client's retry follows a part whose answer was lost (the connection or the
 * API process died after the commit): answering the replay as accepted makes part uploads
 * idempotent, as the client's retry policy assumes. Only buffered parts (the ECR door) are
 * compared; a streamed body is never read twice.
 */
export async function isCommittedReplay(
  uploads: Pick<UploadStore, 'parts' | 'get'>,
  localParts: LocalParts | undefined,
  refusal: unknown,
  part: { uploadId: string; partFirstByte: number; data: Uint8Array | AsyncIterable<Uint8Array> },
): Promise<boolean> {
  if (!(refusal instanceof InvalidLayerPartException) || !(part.data instanceof Uint8Array)) return false;
  const lastValid = Number(refusal.fields.lastValidByteReceived);
  const partLastByte = part.partFirstByte + part.data.byteLength - 1;
  if (part.data.byteLength === 0 || partLastByte > lastValid) return false;
  const committed = (await uploads.parts(part.uploadId)).find((p) => p.offset === part.partFirstByte);
  if (!committed || committed.length !== part.data.byteLength) return false;
  if (bootOfMark(committed.checksum) !== undefined) {
    const stored = await storedPartBytes(uploads, localParts, part.uploadId, committed.partNumber);
    return stored?.equals(part.data) === true;
  }
  const algorithm = partChecksumAlgorithm(committed.checksum);
  return algorithm !== undefined && (await partChecksumOf(part.data, algorithm)) === committed.checksum;
}

/** A committed part's bytes as stored in its local file; undefined when they cannot be read. */
async function storedPartBytes(
  uploads: Pick<UploadStore, 'get'>,
  localParts: LocalParts | undefined,
  uploadId: string,
  partNumber: number,
): Promise<Buffer | undefined> {
  if (!localParts) return undefined;
  const record = await uploads.get(uploadId);
  if (!record?.storageSession) return undefined;
  return readFile(localParts.partPath(sessionFromJson(record.storageSession, uploadId), partNumber)).catch(
    () => undefined,
  );
}

import { InvalidLayerPartException } from '@longshore/domain';
import { partChecksumAlgorithm, partChecksumOf } from '@longshore/digest';
import type { UploadStore } from '@longshore/metadata';

/**
 * Whether a part refused as out of order is the replay of a part already committed: the same
 * first byte, the same length and the same bytes (its checksum, computed with the recorded
 * checksum's algorithm, matches). A different part that collides with the recorded CRC32C would
 * be answered as accepted but changes nothing stored: its layer digest then fails completion.
 * That happens when a client's retry follows a part whose answer was lost (the connection or the
 * API process died after the commit): answering the replay as accepted makes part uploads
 * idempotent, as the client's retry policy assumes. Only buffered parts (the ECR door) are
 * compared; a streamed body is never read twice.
 */
export async function isCommittedReplay(
  uploads: Pick<UploadStore, 'parts'>,
  refusal: unknown,
  part: { uploadId: string; partFirstByte: number; data: Uint8Array | AsyncIterable<Uint8Array> },
): Promise<boolean> {
  if (!(refusal instanceof InvalidLayerPartException) || !(part.data instanceof Uint8Array)) return false;
  const lastValid = Number(refusal.fields.lastValidByteReceived);
  const partLastByte = part.partFirstByte + part.data.byteLength - 1;
  if (part.data.byteLength === 0 || partLastByte > lastValid) return false;
  const committed = (await uploads.parts(part.uploadId)).find((p) => p.offset === part.partFirstByte);
  if (!committed || committed.length !== part.data.byteLength) return false;
  const algorithm = partChecksumAlgorithm(committed.checksum);
  return algorithm !== undefined && (await partChecksumOf(part.data, algorithm)) === committed.checksum;
}

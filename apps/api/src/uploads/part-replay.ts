import { createHash } from 'node:crypto';
import { InvalidLayerPartException } from '@longshore/domain';
import type { UploadStore } from '@longshore/metadata';

/**
 * Whether a part refused as out of order is the replay of a part already committed: the same
 * first byte, the same length and the same bytes (its sha256 matches the recorded checksum).
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
  return createHash('sha256').update(part.data).digest('hex') === committed.sha256;
}

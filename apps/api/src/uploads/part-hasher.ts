import { createHash } from 'node:crypto';
import { createResumableSha256 } from '@longshore/digest';

export interface PartHashes {
  /** sha256 (hex) of the part alone: checked against the stored bytes before publishing. */
  partSha256: string;
  /** The layer's running SHA-256 state after this part (base64). */
  layerState: string;
}

/**
 * Hashes a part twice in one pass over memory: on its own (the at-rest checksum) and as the
 * continuation of the layer's running digest, resumed from the state the previous part saved.
 */
export async function hashPart(data: Uint8Array, previousState: string): Promise<PartHashes> {
  const layer = await createResumableSha256(previousState ? Buffer.from(previousState, 'base64') : undefined);
  layer.update(data);
  const partSha256 = createHash('sha256').update(data).digest('hex');
  return { partSha256, layerState: Buffer.from(layer.save()).toString('base64') };
}

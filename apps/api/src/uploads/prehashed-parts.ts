import type { PartHashes } from '@longshore/digest';

/**
 * Parts whose hashes were advanced while their body arrived (the ECR door, ecr/part-prehash.ts),
 * keyed by the part's bytes in memory. They were hashed from a GUESSED layer state (the one the
 * previous part on the same connection left): the part writer uses them only when the claim's
 * state is that very one, and hashes the bytes again from the claim's state otherwise, so a
 * wrong guess costs time, never correctness.
 */
export interface PrehashedPart {
  /** The layer state (base64, as claims carry it) the hashes started from. */
  readonly from: string;
  /** The part's hashes from `from`; undefined when the running hash could not finish them. */
  hashes(): Promise<PartHashes | undefined>;
  /** The part's hashes as stored (`guessed`: these very ones were used), for the next part's guess. */
  hashed(layerState: Uint8Array, guessed: boolean): void;
}

const prehashed = new WeakMap<Uint8Array, PrehashedPart>();

export function notePrehashedPart(data: Uint8Array, part: PrehashedPart): void {
  prehashed.set(data, part);
}

export function prehashedPartOf(data: Uint8Array): PrehashedPart | undefined {
  return prehashed.get(data);
}

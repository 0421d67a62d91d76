import type { PartHashes } from '@longshore/digest';

/**
 * Parts whose bytes were already written to a staged file while their body arrived (the ECR
 * door, ecr/part-staging.ts), keyed by the part's bytes in memory: the part writer adopts the
 * file as the part's own instead of writing the bytes again. The bytes stay authoritative: when
 * adoption fails for any reason, the writer writes them as it would have.
 */
export interface StagedBytes {
  /**
   * Makes the staged file the part's file at `partPath`: whether its bytes went straight to the
   * disk (storage's StagedPartFile.adopt), or undefined when it could not (nothing adopted).
   */
  adopt(partPath: string): Promise<{ direct: boolean } | undefined>;
}

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

/**
 * What the ECR door did with a part's bytes while its body arrived (ecr-wire.ts), keyed by the
 * part's bytes in memory, for the part writer (part-writer.ts): the staged file it wrote them to
 * (ecr/part-staging.ts) and the hashes it advanced (ecr/part-prehash.ts).
 */
export interface PartArrival {
  staged?: StagedBytes | undefined;
  prehashed?: PrehashedPart | undefined;
}

const arrivals = new WeakMap<Uint8Array, PartArrival>();

export function notePartArrival(data: Uint8Array, arrival: PartArrival): void {
  if (arrival.staged || arrival.prehashed) arrivals.set(data, arrival);
}

export function partArrivalOf(data: Uint8Array): PartArrival {
  return arrivals.get(data) ?? {};
}

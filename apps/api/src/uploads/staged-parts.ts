/**
 * Parts whose bytes were already written to a staged file while their body arrived (the ECR
 * door, ecr/part-staging.ts), keyed by the part's bytes in memory: the part writer adopts the
 * file as the part's own instead of writing the bytes again. The bytes stay authoritative: when
 * adoption fails for any reason, the writer writes them as it would have.
 */
export interface StagedBytes {
  /** Makes the staged file the part's file at `partPath`; false when it could not (nothing adopted). */
  adopt(partPath: string): Promise<boolean>;
}

const staged = new WeakMap<Uint8Array, StagedBytes>();

export function noteStagedBytes(data: Uint8Array, bytes: StagedBytes): void {
  staged.set(data, bytes);
}

export function stagedBytesOf(data: Uint8Array): StagedBytes | undefined {
  return staged.get(data);
}

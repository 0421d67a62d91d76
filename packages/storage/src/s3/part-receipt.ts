/**
 * How a part was stored, recorded in its WrittenPart receipt: `direct:<etag>` for a part uploaded
 * straight into the session's multipart upload, `staged:<etag>` for a part kept as its own
 * object until completion.
 */
export type StoredPart =
  | { partNumber: number; size: number; kind: 'direct'; etag: string }
  | { partNumber: number; size: number; kind: 'staged'; etag: string };

export function partReceipt(kind: StoredPart['kind'], etag: string): string {
  return `${kind}:${etag}`;
}

/** Reads a receipt back; throws on one this driver did not write. */
export function storedPart(part: { partNumber: number; size: number; receipt: string }): StoredPart {
  const colon = part.receipt.indexOf(':');
  const kind = part.receipt.slice(0, colon);
  const etag = part.receipt.slice(colon + 1);
  if (colon === -1 || (kind !== 'direct' && kind !== 'staged')) {
    throw new Error(
      `part ${part.partNumber} has a receipt the S3 driver did not write: ${JSON.stringify(part.receipt)}`,
    );
  }
  return { partNumber: part.partNumber, size: part.size, kind, etag };
}

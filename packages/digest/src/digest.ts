/** OCI/ECR digests: `<algorithm>:<hex>`. Longshore computes and stores sha256 only. */
export interface ParsedDigest {
  algorithm: 'sha256';
  hex: string;
}

const SHA256 = /^sha256:([a-f0-9]{64})$/;

/** Parses a sha256 digest (lowercase hex, as the OCI spec requires); undefined if it isn't one. */
export function parseSha256Digest(digest: string): ParsedDigest | undefined {
  const match = SHA256.exec(digest);
  return match ? { algorithm: 'sha256', hex: match[1]! } : undefined;
}

export function sha256Digest(hex: string): string {
  return `sha256:${hex}`;
}

/**
 * OCI/ECR digests: `<algorithm>:<hex>`. Longshore computes sha256 as parts arrive (the fast
 * path); /v2 also takes `sha512` (registered by the OCI image-spec), verified by a re-hash.
 */
export type DigestAlgorithm = 'sha256' | 'sha512';

export interface ParsedDigest {
  algorithm: DigestAlgorithm;
  hex: string;
}

const SHA256 = /^sha256:([a-f0-9]{64})$/;
const OCI_DIGEST = /^(sha256:[a-f0-9]{64}|sha512:[a-f0-9]{128})$/;

/** Parses a sha256 digest (lowercase hex, as the OCI spec requires); undefined if it isn't one. */
export function parseSha256Digest(digest: string): ParsedDigest | undefined {
  const match = SHA256.exec(digest);
  return match ? { algorithm: 'sha256', hex: match[1]! } : undefined;
}

/** Parses a sha256 or sha512 digest (lowercase hex of the algorithm's length); undefined otherwise. */
export function parseOciDigest(digest: string): ParsedDigest | undefined {
  if (!OCI_DIGEST.test(digest)) return undefined;
  const [algorithm, hex] = digest.split(':') as [DigestAlgorithm, string];
  return { algorithm, hex };
}

/** The algorithm a digest names: sha512 for `sha512:…`, sha256 otherwise (the default). */
export function digestAlgorithmOf(digest: string | undefined): DigestAlgorithm {
  return digest?.startsWith('sha512:') ? 'sha512' : 'sha256';
}

export function sha256Digest(hex: string): string {
  return `sha256:${hex}`;
}

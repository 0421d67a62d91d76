import { InvalidImageDigestError, InvalidImageTagError } from '../errors/ecr-errors.js';

/** The distribution-spec tag grammar, which Longshore applies to both doors. */
export const TAG_PATTERN = /^[a-zA-Z0-9_][a-zA-Z0-9._-]{0,127}$/;
const SHA256_DIGEST = /^sha256:[a-f0-9]{64}$/;
/** The digests the OCI door (/v2) names manifests by: the two algorithms image-spec registers. */
const OCI_DIGEST = /^(sha256:[a-f0-9]{64}|sha512:[a-f0-9]{128})$/;

/** A manifest digest's algorithm. */
export type DigestAlgorithm = 'sha256' | 'sha512';

export type ImageReference = { kind: 'tag'; tag: string } | { kind: 'digest'; digest: string };

export function isValidTag(tag: string): boolean {
  return TAG_PATTERN.test(tag);
}

export function isValidDigest(digest: string): boolean {
  return SHA256_DIGEST.test(digest);
}

/** sha256 or sha512 (the OCI door); the ECR door keeps its documented sha256 pattern (isValidDigest). */
export function isValidOciDigest(digest: string): boolean {
  return OCI_DIGEST.test(digest);
}

export function digestAlgorithm(digest: string): DigestAlgorithm {
  return digest.startsWith('sha512:') ? 'sha512' : 'sha256';
}

export function requireTag(tag: string): string {
  if (!isValidTag(tag)) {
    throw new InvalidImageTagError(
      `Invalid parameter at 'imageTag' failed to satisfy constraint: 'must match ${TAG_PATTERN.source}': '${tag.slice(0, 300)}'`,
    );
  }
  return tag;
}

export function requireDigest(digest: string): string {
  if (!isValidDigest(digest)) {
    throw new InvalidImageDigestError(
      `Invalid parameter at 'imageDigest' failed to satisfy constraint: 'must be sha256:<64 lowercase hex digits>': '${digest.slice(0, 300)}'`,
    );
  }
  return digest;
}

/** A digest named on the OCI door: sha256 or sha512, lowercase hex. */
export function requireOciDigest(digest: string): string {
  if (!isValidOciDigest(digest)) {
    throw new InvalidImageDigestError(
      `Invalid digest: 'must be sha256:<64 lowercase hex digits> or sha512:<128 lowercase hex digits>': '${digest.slice(0, 300)}'`,
    );
  }
  return digest;
}

/**
 * A /v2 manifest reference: a digest when it contains `:` (tags cannot), and then it must be a
 * valid sha256 or sha512 digest; otherwise a tag, which must match the tag grammar.
 */
export function parseImageReference(reference: string): ImageReference {
  if (reference.includes(':')) {
    return { kind: 'digest', digest: requireOciDigest(reference) };
  }
  return { kind: 'tag', tag: requireTag(reference) };
}

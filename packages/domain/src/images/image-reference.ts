import { InvalidImageDigestError, InvalidImageTagError } from '../errors/ecr-errors.js';

/** The distribution-spec tag grammar, which Longshore applies to both doors. */
export const TAG_PATTERN = /^[a-zA-Z0-9_][a-zA-Z0-9._-]{0,127}$/;
const SHA256_DIGEST = /^sha256:[a-f0-9]{64}$/;

export type ImageReference = { kind: 'tag'; tag: string } | { kind: 'digest'; digest: string };

export function isValidTag(tag: string): boolean {
  return TAG_PATTERN.test(tag);
}

export function isValidDigest(digest: string): boolean {
  return SHA256_DIGEST.test(digest);
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

/**
 * A /v2 manifest reference: a digest when it contains `:` (tags cannot), and then it must be a
 * valid sha256 digest; otherwise a tag, which must match the tag grammar.
 */
export function parseImageReference(reference: string): ImageReference {
  if (reference.includes(':')) {
    return { kind: 'digest', digest: requireDigest(reference) };
  }
  return { kind: 'tag', tag: requireTag(reference) };
}

import { DigestInvalidError } from '@longshore/domain';
import { parseSha256Digest } from '@longshore/digest';

/**
 * A digest named by a /v2 request (`?digest=`, `?mount=`, a blob path): `sha256:<64 lowercase
 * hex>`, the one algorithm Longshore computes. Anything else is DIGEST_INVALID.
 */
export function requireBlobDigest(value: unknown, what: string): { digest: string; hex: string } {
  const digest = typeof value === 'string' ? value : '';
  const parsed = parseSha256Digest(digest);
  if (!parsed) {
    throw new DigestInvalidError(
      `Invalid ${what} '${digest.slice(0, 100)}': expected sha256:<64 lowercase hex digits> (the only algorithm served)`,
    );
  }
  return { digest, hex: parsed.hex };
}

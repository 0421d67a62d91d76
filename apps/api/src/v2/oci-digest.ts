import { DigestInvalidError } from '@longshore/domain';
import { parseOciDigest } from '@longshore/digest';

/**
 * A digest named by a /v2 request (`?digest=`, `?mount=`, a blob path): `sha256:<64 lowercase
 * hex>` or `sha512:<128 lowercase hex>`, the algorithms the OCI image-spec registers. Anything
 * else is DIGEST_INVALID.
 */
export function requireBlobDigest(value: unknown, what: string): { digest: string; hex: string } {
  const digest = typeof value === 'string' ? value : '';
  const parsed = parseOciDigest(digest);
  if (!parsed) {
    throw new DigestInvalidError(
      `Invalid ${what} '${digest.slice(0, 100)}': expected sha256:<64 lowercase hex digits> or sha512:<128 lowercase hex digits>`,
    );
  }
  return { digest, hex: parsed.hex };
}

import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { InvalidSignatureException, UnrecognizedClientException } from '@longshore/domain';
import type { AccessKey } from './access-key.js';
import type { CredentialSet } from './credential-set.js';

export interface IssuedToken {
  /** What GetAuthorizationToken returns: base64 of `AWS:<token>`, the registry login. */
  authorizationToken: string;
  token: string;
  expiresAt: Date;
}

const VERSION = 'lst1';
/** A registry username other than this is refused, as ECR does. */
export const LOGIN_USERNAME = 'AWS';

/**
 * Registry login tokens, the password of `docker login --username AWS`: an HMAC (with a secret
 * all replicas share) over the key id, the expiry and a digest of the key's secret. The token
 * carries no permissions of its own: each request is checked against the key as it is now
 * configured, so removing the key, or changing its secret, revokes every token it was given.
 */
export class LoginTokens {
  constructor(
    private readonly secret: string,
    private readonly ttlSeconds: number,
  ) {}

  issue(key: AccessKey, now = Date.now()): IssuedToken {
    const expires = Math.floor(now / 1000) + this.ttlSeconds;
    const payload = Buffer.from(
      JSON.stringify({ k: key.accessKeyId, e: expires, n: randomBytes(12).toString('base64url') }),
    ).toString('base64url');
    const token = `${VERSION}.${payload}.${this.mac(payload, key)}`;
    return {
      token,
      authorizationToken: Buffer.from(`${LOGIN_USERNAME}:${token}`).toString('base64'),
      expiresAt: new Date(expires * 1000),
    };
  }

  /** The key a token stands for, or the exception to answer: forged, expired or revoked. */
  verify(token: string, credentials: CredentialSet, now = Date.now()): AccessKey {
    const [version, payload, mac, extra] = token.split('.');
    const claims = version === VERSION && payload && mac && extra === undefined ? decode(payload) : undefined;
    if (!claims) throw new InvalidSignatureException('The login token is not valid');
    const key = credentials.get(claims.k);
    const expected = key ? Buffer.from(this.mac(payload!, key)) : undefined;
    const given = Buffer.from(mac!);
    if (!key || !expected || expected.length !== given.length || !timingSafeEqual(expected, given)) {
      // A token of a removed key, or of a key whose secret changed, is as good as a forged one.
      throw key
        ? new InvalidSignatureException('The login token is not valid')
        : new UnrecognizedClientException('The login token belongs to an access key that is no longer valid');
    }
    if (claims.e * 1000 <= now) {
      throw new InvalidSignatureException('The login token has expired; get a new one with GetAuthorizationToken');
    }
    return key;
  }

  private mac(payload: string, key: AccessKey): string {
    return createHmac('sha256', this.secret).update(`${payload}\n${key.secretFingerprint}`).digest('base64url');
  }
}

function decode(payload: string): { k: string; e: number } | undefined {
  try {
    const claims = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as { k?: unknown; e?: unknown };
    if (typeof claims.k === 'string' && typeof claims.e === 'number') return { k: claims.k, e: claims.e };
  } catch {
    // not a token
  }
  return undefined;
}

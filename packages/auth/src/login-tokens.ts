import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { InvalidSignatureException } from '@longshore/domain';
import type { AccessKey } from './access-key.js';
import type { CredentialSet } from './credential-set.js';
import { firstGeneration, type KeyGenerationSource } from './key-generations.js';

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
 * One answer for a forged token, a token of an unknown key and a token of a removed, changed or
 * put-back key: the answer never tells whether a key id exists.
 */
const NOT_VALID = 'The login token is not valid, or its access key is no longer valid';

/** How many verified tokens are remembered (a client keeps sending the same one: every /v2 request of a push). */
const VERIFIED_TOKENS = 1024;

interface Claims {
  /** The access key id. */
  k: string;
  /** The key's generation when the token was issued. */
  g: number;
  /** Expiry, in seconds since the epoch. */
  e: number;
}

/** A token whose MAC checked out against `key`: it stays valid for as long as `key` is the configured key object. */
interface VerifiedToken {
  key: AccessKey;
  claims: Claims;
}

/**
 * Registry login tokens, the password of `docker login --username AWS`: an HMAC (with a secret
 * all replicas share) over the key id, the key's generation, the expiry and a digest of the key's
 * secret. The token carries no permissions of its own: each request is checked against the key
 * as it is now configured. Removing the key or changing its secret moves it to its next
 * generation (key-generations.ts), which revokes every token it was given, for good.
 */
export class LoginTokens {
  /**
   * Tokens whose MAC was checked, by token. A hit needs the same AccessKey object still configured
   * (a reloaded credentials file makes new ones, so a changed secret is never matched against an
   * old check); the generation and the expiry are checked on every request all the same.
   */
  private readonly verified = new Map<string, VerifiedToken>();

  constructor(
    private readonly secret: string,
    private readonly ttlSeconds: number,
    private readonly generations: KeyGenerationSource = firstGeneration,
  ) {}

  async issue(key: AccessKey, now = Date.now()): Promise<IssuedToken> {
    const expires = Math.floor(now / 1000) + this.ttlSeconds;
    const generation = await this.generations.current(key.accessKeyId);
    const payload = Buffer.from(
      JSON.stringify({ k: key.accessKeyId, g: generation, e: expires, n: randomBytes(12).toString('base64url') }),
    ).toString('base64url');
    const token = `${VERSION}.${payload}.${this.mac(payload, key)}`;
    return {
      token,
      authorizationToken: Buffer.from(`${LOGIN_USERNAME}:${token}`).toString('base64'),
      expiresAt: new Date(expires * 1000),
    };
  }

  /** The key id a token claims, unverified (to count failures by); undefined for garbage. */
  claimedKeyId(token: string): string | undefined {
    const known = this.verified.get(token);
    if (known) return known.claims.k;
    const [version, payload] = token.split('.');
    return version === VERSION && payload ? decode(payload)?.k : undefined;
  }

  /** The key a token stands for, or the exception to answer: forged, revoked or expired. */
  async verify(token: string, credentials: CredentialSet, now = Date.now()): Promise<AccessKey> {
    const { key, claims } = this.checkedMac(token, credentials);
    if (claims.g !== (await this.generations.current(key.accessKeyId))) throw new InvalidSignatureException(NOT_VALID);
    if (claims.e * 1000 <= now) {
      throw new InvalidSignatureException('The login token has expired; get a new one with GetAuthorizationToken');
    }
    return key;
  }

  /** The token's key and claims once its MAC is proven (remembered: a repeated token is not decoded again). */
  private checkedMac(token: string, credentials: CredentialSet): VerifiedToken {
    const known = this.verified.get(token);
    if (known && credentials.get(known.claims.k) === known.key) return known;
    const [version, payload, mac, extra] = token.split('.');
    const claims = version === VERSION && payload && mac && extra === undefined ? decode(payload) : undefined;
    const key = claims ? credentials.get(claims.k) : undefined;
    const expected = key ? Buffer.from(this.mac(payload!, key)) : undefined;
    const given = Buffer.from(mac ?? '');
    if (!claims || !key || !expected || expected.length !== given.length || !timingSafeEqual(expected, given)) {
      if (known) this.verified.delete(token);
      throw new InvalidSignatureException(NOT_VALID);
    }
    const checked = { key, claims };
    if (this.verified.size >= VERIFIED_TOKENS) this.verified.delete(this.verified.keys().next().value!);
    this.verified.set(token, checked);
    return checked;
  }

  private mac(payload: string, key: AccessKey): string {
    return createHmac('sha256', this.secret).update(`${payload}\n${key.secretFingerprint}`).digest('base64url');
  }
}

function decode(payload: string): Claims | undefined {
  try {
    const claims = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as {
      k?: unknown;
      g?: unknown;
      e?: unknown;
    };
    // A token from before generations existed is of generation 0.
    const g = claims.g ?? 0;
    if (typeof claims.k === 'string' && typeof claims.e === 'number' && typeof g === 'number') {
      return { k: claims.k, g, e: claims.e };
    }
  } catch {
    // not a token
  }
  return undefined;
}

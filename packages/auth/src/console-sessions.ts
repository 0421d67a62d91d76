import { createHmac, timingSafeEqual } from 'node:crypto';
import { InvalidSignatureException, UnrecognizedClientException } from '@longshore/domain';
import type { AccessKey } from './access-key.js';
import type { CredentialSet } from './credential-set.js';
import { firstGeneration, type KeyGenerationSource } from './key-generations.js';
import { LoginTokens } from './login-tokens.js';

/** A console session lasts as long as a registry login token: 12 hours. */
export const CONSOLE_SESSION_SECONDS = 12 * 3600;

/** One answer for an unknown key id and a wrong secret: the form never tells which one it was. */
const WRONG_KEY = 'The access key ID or the secret access key is not valid';

/**
 * The web console's sign-in and its session cookie. A session is a login token (key id, key
 * generation, expiry, MAC over the key's secret fingerprint) sealed with a key of its own,
 * derived from AUTH_TOKEN_SECRET: a session cookie is never a registry password, nor the reverse.
 * Like a login token it carries no permissions: every request is checked against the key as it
 * is configured now, and removing the key or changing its secret ends its sessions.
 */
export class ConsoleSessions {
  private readonly tokens: LoginTokens;

  constructor(
    secret: string,
    generations: KeyGenerationSource = firstGeneration,
    readonly ttlSeconds = CONSOLE_SESSION_SECONDS,
  ) {
    const derived = createHmac('sha256', secret).update('longshore console sessions').digest('base64url');
    this.tokens = new LoginTokens(derived, ttlSeconds, generations);
  }

  /** The key whose id and secret were typed into the sign-in form, or UnrecognizedClientException. */
  signIn(credentials: CredentialSet, accessKeyId: string, secretAccessKey: string): AccessKey {
    const key = credentials.get(accessKeyId);
    const expected = Buffer.from(key?.secretAccessKey ?? '');
    const given = Buffer.from(secretAccessKey);
    // Temporary keys need their session token on every request: the form has no place for one.
    if (!key || key.sessionToken || expected.length !== given.length || !timingSafeEqual(expected, given)) {
      throw new UnrecognizedClientException(WRONG_KEY);
    }
    return key;
  }

  /** A new session of `key`: the cookie value and when it expires. */
  async open(key: AccessKey, now = Date.now()): Promise<{ value: string; expiresAt: Date }> {
    const issued = await this.tokens.issue(key, now);
    return { value: issued.token, expiresAt: issued.expiresAt };
  }

  /** The key id a cookie claims, unverified (to count failures by). */
  claimedKeyId(value: string): string | undefined {
    return this.tokens.claimedKeyId(value);
  }

  /** The key a session cookie stands for now, or InvalidSignatureException: forged, expired or revoked. */
  verify(value: string, credentials: CredentialSet, now = Date.now()): Promise<AccessKey> {
    return this.tokens.verify(value, credentials, now).catch((err: unknown) => {
      if (err instanceof InvalidSignatureException)
        throw new InvalidSignatureException('The console session has ended; sign in again');
      throw err;
    });
  }
}

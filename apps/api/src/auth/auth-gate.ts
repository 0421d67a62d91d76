import {
  type AuthFailureLimiter,
  type ConsoleSessions,
  type CredentialSet,
  type LoginTokens,
  type Permissions,
  type Principal,
  type RequestQuota,
  type SignedRequest,
  type SigV4Policy,
  claimedAccessKeyId,
  unrestricted,
  verifySigV4,
} from '@longshore/auth';
import { LongshoreError, MissingAuthenticationTokenException, ThrottlingException } from '@longshore/domain';
import type { Request } from 'express';
import type { Logger } from '@longshore/telemetry';
import type { ApiMetrics } from '../metrics/api-metrics.js';
import { sourceOf } from './signed-request.js';

/** The front doors, as metric and log labels. */
export type Door = 'ecr' | 'v1' | 'v2' | 'console';

export interface AuthGateDeps {
  mode: 'sigv4' | 'off';
  credentials(): CredentialSet;
  sigv4: SigV4Policy;
  tokens: LoginTokens;
  permissions: Permissions;
  failures: AuthFailureLimiter;
  quota: RequestQuota;
  metrics: ApiMetrics;
}

/** Who is knocking: the request's source address, what it presents, and where to log. */
export interface Knock {
  door: Door;
  source: string;
  log: Logger;
}

/**
 * The knock of a request. Its source address (the `trust proxy` walk) and its logger (a pino
 * child) are only worked out when a failure is logged or counted: a request whose credentials
 * verify never needs either.
 */
export function knockOf(door: Door, req: Request): Knock {
  return {
    door,
    get source() {
      return sourceOf(req);
    },
    get log() {
      return req.log;
    },
  };
}

/**
 * The one policy every door applies: prove the credentials (SigV4 or a login token), count and
 * log failures (never a secret) per (source, key id) and answer ThrottlingException to a pair
 * that failed too often, spend the key's quota. Doors only translate their wire into a SignedRequest or a token, and the errors back.
 */
export class AuthGate {
  constructor(private readonly deps: AuthGateDeps) {}

  get enabled(): boolean {
    return this.deps.mode === 'sigv4';
  }

  get permissions(): Permissions {
    return this.deps.permissions;
  }

  get tokens(): LoginTokens {
    return this.deps.tokens;
  }

  credentials(): CredentialSet {
    return this.deps.credentials();
  }

  /** Proves a SigV4-signed request. */
  sigv4(knock: Knock, request: SignedRequest): Promise<Principal> {
    const header = request.headers.authorization;
    const accessKeyId = claimedAccessKeyId(Array.isArray(header) ? header[0] : header);
    return this.attempt(knock, accessKeyId, async () => ({
      kind: 'key',
      key: await verifySigV4(request, this.deps.credentials(), this.deps.sigv4),
      via: 'sigv4',
    }));
  }

  /** Proves an access key id and secret typed into the console's sign-in form. */
  signIn(knock: Knock, sessions: ConsoleSessions, accessKeyId: string, secretAccessKey: string): Promise<Principal> {
    return this.attempt(knock, accessKeyId, async () => ({
      kind: 'key',
      key: sessions.signIn(this.deps.credentials(), accessKeyId, secretAccessKey),
      via: 'token',
    }));
  }

  /** Proves a console session cookie, against the key as it is configured now. */
  session(knock: Knock, sessions: ConsoleSessions, value: string): Promise<Principal> {
    return this.attempt(knock, sessions.claimedKeyId(value), async () => ({
      kind: 'key',
      key: await sessions.verify(value, this.deps.credentials()),
      via: 'token',
    }));
  }

  /** Proves a registry login token (Basic password on /v2, Bearer on /v1). */
  token(knock: Knock, token: string): Promise<Principal> {
    return this.attempt(knock, this.deps.tokens.claimedKeyId(token), async () => ({
      kind: 'key',
      key: await this.deps.tokens.verify(token, this.deps.credentials()),
      via: 'token',
    }));
  }

  /**
   * Counts one refusal of a caller without credentials against its source; throws
   * ThrottlingException instead when the source has used up its failures. On /v2 a request
   * without credentials is how every registry client starts (the challenge): not counted there.
   */
  async refused(knock: Knock, error: LongshoreError, accessKeyId?: string): Promise<void> {
    if (!this.enabled) return;
    await this.failed(knock, accessKeyId, error);
  }

  /**
   * Proves the credentials first: a request whose credentials verify is never refused by the
   * failure counters. A failure is counted against its (source, claimed key id) pair, and once
   * the pair has used up its failures it is answered ThrottlingException instead.
   */
  private async attempt(knock: Knock, accessKeyId: string | undefined, prove: () => Promise<Principal>) {
    if (!this.enabled) return unrestricted;
    let principal: Principal;
    try {
      principal = await prove();
    } catch (err) {
      if (err instanceof LongshoreError) await this.failed(knock, accessKeyId, err);
      throw err;
    }
    if (principal.kind === 'key' && this.deps.quota.enabled) {
      try {
        await this.deps.quota.spend(principal.key.accessKeyId);
      } catch (err) {
        if (err instanceof ThrottlingException)
          this.deps.metrics.authThrottled.inc({ door: knock.door, cause: 'quota' });
        throw err;
      }
    }
    return principal;
  }

  private async failed(knock: Knock, accessKeyId: string | undefined, error: LongshoreError): Promise<void> {
    this.deps.metrics.authFailures.inc({ door: knock.door, reason: error.name });
    if (knock.door === 'v2' && error instanceof MissingAuthenticationTokenException) return;
    // The claimed key id (shortened unless it is a configured key's) and the reason, never a secret, signature or token.
    const claimed = accessKeyId === undefined ? undefined : this.loggedKeyId(accessKeyId);
    knock.log.warn(
      { source: knock.source, accessKeyId: claimed, door: knock.door, reason: error.name, detail: error.message },
      'authentication failed',
    );
    try {
      await this.deps.failures.recordFailure({ source: knock.source, accessKeyId });
    } catch (err) {
      if (err instanceof ThrottlingException) {
        this.deps.metrics.authThrottled.inc({ door: knock.door, cause: 'failures' });
        knock.log.warn({ source: knock.source, accessKeyId: claimed, door: knock.door }, 'authentication throttled');
      }
      throw err;
    }
  }

  /** A key id as logs may show it: whole when configured, else its first characters only (it may be a pasted secret). */
  private loggedKeyId(accessKeyId: string): string {
    if (this.deps.credentials().get(accessKeyId)) return accessKeyId;
    return accessKeyId.length <= LOGGED_KEY_ID_CHARS ? accessKeyId : `${accessKeyId.slice(0, LOGGED_KEY_ID_CHARS)}…`;
  }
}

/** How much of an unknown key id a log line shows. */
const LOGGED_KEY_ID_CHARS = 8;

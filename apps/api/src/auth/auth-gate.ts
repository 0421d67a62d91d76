import {
  type AuthFailureLimiter,
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
import type { Logger } from '@longshore/telemetry';
import type { ApiMetrics } from '../metrics/api-metrics.js';

/** The front doors, as metric and log labels. */
export type Door = 'ecr' | 'v1' | 'v2';

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
 * The one policy every door applies: refuse sources and keys that failed too often, prove the
 * credentials (SigV4 or a login token), count and log failures (never a secret), spend the key's
 * quota. Doors only translate their wire into a SignedRequest or a token, and the errors back.
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

  /** Proves a registry login token (Basic password on /v2, Bearer on /v1). */
  token(knock: Knock, token: string): Promise<Principal> {
    return this.attempt(knock, undefined, async () => ({
      kind: 'key',
      key: this.deps.tokens.verify(token, this.deps.credentials()),
      via: 'token',
    }));
  }

  /** A request without credentials: counted against its source only if the door refuses it. */
  async anonymous(knock: Knock): Promise<void> {
    await this.throttleCheck(knock, undefined);
  }

  /** Counts one refusal of an anonymous caller (it had to authenticate and did not). */
  async refused(knock: Knock, error: LongshoreError): Promise<void> {
    await this.failed(knock, undefined, error);
  }

  private async attempt(knock: Knock, accessKeyId: string | undefined, prove: () => Promise<Principal>) {
    if (!this.enabled) return unrestricted;
    await this.throttleCheck(knock, accessKeyId);
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

  private async throttleCheck(knock: Knock, accessKeyId: string | undefined): Promise<void> {
    try {
      await this.deps.failures.check({ source: knock.source, accessKeyId });
    } catch (err) {
      if (err instanceof ThrottlingException) {
        this.deps.metrics.authThrottled.inc({ door: knock.door, cause: 'failures' });
        knock.log.warn({ source: knock.source, accessKeyId, door: knock.door }, 'authentication throttled');
      }
      throw err;
    }
  }

  private async failed(knock: Knock, accessKeyId: string | undefined, error: LongshoreError): Promise<void> {
    this.deps.metrics.authFailures.inc({ door: knock.door, reason: error.name });
    // No credentials at all is how every registry client starts (the /v2 challenge): not an attack.
    if (error instanceof MissingAuthenticationTokenException) return;
    // The claimed key id and the reason, never a secret, signature or token.
    knock.log.warn(
      { source: knock.source, accessKeyId, door: knock.door, reason: error.name, detail: error.message },
      'authentication failed',
    );
    await this.deps.failures.recordFailure({ source: knock.source, accessKeyId });
  }
}

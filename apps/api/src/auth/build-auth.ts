import {
  AuthFailureLimiter,
  CredentialSet,
  KeyGenerations,
  LoginTokens,
  Permissions,
  RequestQuota,
} from '@longshore/auth';
import { sharedSecret } from '@longshore/metadata';
import type { ApiContext } from '../api-context.js';
import { AuthGate } from './auth-gate.js';
import { LiveCredentials } from './live-credentials.js';

/** Who may do what: the access keys as last read, login tokens, abuse limits. */
export interface ApiAuth {
  auth: AuthGate;
  tokens: LoginTokens;
  /** Signs login tokens, console sessions and page tokens (AUTH_TOKEN_SECRET, or one shared in Redis). */
  tokenSecret: string;
  /** The key generations that revoke login tokens and console sessions. */
  generations: KeyGenerations;
  /** Stops watching the credentials file. */
  close(): void;
}

export async function buildAuth(context: ApiContext): Promise<ApiAuth> {
  const { config, log, redis, stores, metrics } = context;
  const { keys } = stores;
  const generations = new KeyGenerations(redis, keys.keyGenerations);
  const credentials =
    config.auth === 'sigv4'
      ? new LiveCredentials(
          {
            credentialsFile: config.credentialsFile,
            adminAccessKeyId: config.adminAccessKeyId,
            adminSecretAccessKey: config.adminSecretAccessKey,
          },
          log,
          generations,
        )
      : undefined;
  await credentials?.recorded();
  if (!credentials) log.warn('AUTH=off: every request is allowed without credentials; never expose this service');
  const noKeys = new CredentialSet([], []);
  const tokenSecret = config.authTokenSecret ?? (await sharedSecret(redis, keys.authTokenSecret));
  const tokens = new LoginTokens(tokenSecret, config.authTokenTtlSeconds, generations);
  const auth = new AuthGate({
    mode: config.auth,
    credentials: () => credentials?.get() ?? noKeys,
    sigv4: { service: 'ecr', region: config.region, maxSkewMs: 15 * 60_000 },
    tokens,
    permissions: new Permissions(() => credentials?.get() ?? noKeys, {
      registryId: config.registryId,
      region: config.region,
    }),
    failures: new AuthFailureLimiter(redis, keys.authLimits, {
      maxFailures: config.authFailureLimit,
      windowSeconds: config.authFailureWindowSeconds,
    }),
    quota: new RequestQuota(redis, keys.authLimits, {
      requests: config.keyRequestQuota,
      windowSeconds: config.keyRequestQuotaWindowSeconds,
    }),
    metrics,
  });
  return { auth, tokens, tokenSecret, generations, close: () => credentials?.close() };
}

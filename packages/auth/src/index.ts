export { AccessKey, type Grant } from './access-key.js';
export { CredentialSet } from './credential-set.js';
export { CredentialsError } from './credentials-error.js';
export { loadCredentials, type CredentialSources } from './load-credentials.js';
export { parseCredentialsFile, type CredentialsFileContents } from './parse-credentials-file.js';
export { NamePattern } from './name-pattern.js';
export { ecrActions, pullActions, readOnlyActions, ACCOUNT_WIDE, type EcrAction } from './ecr-actions.js';
export {
  parseSigV4Authorization,
  claimedAccessKeyId,
  SIGV4_ALGORITHM,
  type SigV4Authorization,
} from './sigv4-authorization.js';
export { verifySigV4, EMPTY_SHA256, UNSIGNED_PAYLOAD, type SignedRequest, type SigV4Policy } from './sigv4-verifier.js';
export { LoginTokens, LOGIN_USERNAME, type IssuedToken } from './login-tokens.js';
export { anonymous, unrestricted, principalId, type Principal } from './principal.js';
export { Permissions, type PermissionsOptions } from './permissions.js';
export {
  AuthFailureLimiter,
  type AuthBlock,
  type AuthFailureLimits,
  type FailureSubject,
} from './auth-failure-limiter.js';
export { KeyGenerations, firstGeneration, type KeyGenerationSource } from './key-generations.js';
export { RequestQuota, type RequestQuotaLimits } from './request-quota.js';
export { PageTokens } from './page-tokens.js';
export { ConsoleSessions, CONSOLE_SESSION_SECONDS } from './console-sessions.js';

import type { AccessKey } from './access-key.js';

/**
 * Who is asking. `key`: an access key, proven by SigV4 or by a login token it was issued.
 * `anonymous`: no credentials (allowed only to pull `anonymousPull` repositories).
 * `unrestricted`: AUTH=off, everyone may do everything.
 */
export type Principal =
  | { kind: 'key'; key: AccessKey; via: 'sigv4' | 'token' }
  | { kind: 'anonymous' }
  | { kind: 'unrestricted' };

export const anonymous: Principal = { kind: 'anonymous' };
export const unrestricted: Principal = { kind: 'unrestricted' };

/** The access key id of a principal, for logs and metrics-free diagnostics; never a secret. */
export function principalId(principal: Principal): string {
  return principal.kind === 'key' ? principal.key.accessKeyId : principal.kind;
}

import { readFileSync } from 'node:fs';
import { AccessKey } from './access-key.js';
import { CredentialSet } from './credential-set.js';
import { CredentialsError } from './credentials-error.js';
import { NamePattern } from './name-pattern.js';
import { parseCredentialsFile } from './parse-credentials-file.js';

export interface CredentialSources {
  /** CREDENTIALS_FILE */
  credentialsFile?: string | undefined;
  /** ADMIN_ACCESS_KEY_ID / ADMIN_SECRET_ACCESS_KEY: one key allowed everything. */
  adminAccessKeyId?: string | undefined;
  adminSecretAccessKey?: string | undefined;
}

/** Everything on every repository: the admin key's one grant. */
const everything = () => [{ actions: [new NamePattern('*')], repositories: [new NamePattern('*')] }];

/**
 * Reads the credentials file (if any) and the admin key (if any) into one set. Throws a
 * CredentialsError naming every problem; with no key at all, says how to configure one.
 */
export function loadCredentials(sources: CredentialSources): CredentialSet {
  const keys: AccessKey[] = [];
  const anonymousPull: NamePattern[] = [];
  if (sources.credentialsFile) {
    let text: string;
    try {
      text = readFileSync(sources.credentialsFile, 'utf8');
    } catch (err) {
      throw new CredentialsError(`CREDENTIALS_FILE (${sources.credentialsFile})`, [
        `cannot be read: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`,
      ]);
    }
    const file = parseCredentialsFile(text, `CREDENTIALS_FILE (${sources.credentialsFile})`);
    keys.push(...file.keys);
    anonymousPull.push(...file.anonymousPull);
  }
  const { adminAccessKeyId: id, adminSecretAccessKey: secret } = sources;
  if (id || secret) {
    const problems: string[] = [];
    if (!id || !/^[A-Za-z0-9]{4,128}$/.test(id)) {
      problems.push('ADMIN_ACCESS_KEY_ID must be 4 to 128 letters and digits when ADMIN_SECRET_ACCESS_KEY is set');
    }
    if (!secret || secret.length < 8) {
      problems.push('ADMIN_SECRET_ACCESS_KEY must be at least 8 characters when ADMIN_ACCESS_KEY_ID is set');
    }
    if (id && keys.some((k) => k.accessKeyId === id)) {
      problems.push(`ADMIN_ACCESS_KEY_ID '${id}' is also in CREDENTIALS_FILE; use one or the other`);
    }
    if (problems.length > 0) throw new CredentialsError('the environment', problems);
    keys.push(new AccessKey(id!, secret!, everything()));
  }
  if (keys.length === 0) {
    throw new CredentialsError('the configuration', [
      'AUTH=sigv4 needs at least one access key: set ADMIN_ACCESS_KEY_ID and ADMIN_SECRET_ACCESS_KEY, or ' +
        'CREDENTIALS_FILE (npm start generates an admin key under DATA_DIR), or set AUTH=off to run without authentication',
    ]);
  }
  return new CredentialSet(keys, anonymousPull);
}

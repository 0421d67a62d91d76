import type { Config } from '@longshore/config';
import { CliError } from '../cli-error.js';
import {
  newAccessKeyId,
  newSecretAccessKey,
  readCredentialsDocument,
  writeCredentialsDocument,
  type KeyEntry,
} from '../credentials-file.js';
import type { KeyAction, KeyAudit } from '../key-audit.js';
import type { Output } from '../output.js';

export interface CreateKeyOptions {
  actions: string[];
  repositories: string[];
  description?: string;
}

/** The CREDENTIALS_FILE the service reads; the key commands edit it. */
function credentialsFile(config: Config): string {
  if (!config.credentialsFile) {
    throw new CliError(
      'CREDENTIALS_FILE is not set: the key commands edit the credentials file the service reads. Set CREDENTIALS_FILE as for the service.',
    );
  }
  return config.credentialsFile;
}

/** The key named does not exist (recorded as `KeyNotFound`). */
class KeyNotFound extends CliError {}

/** Runs one key change and records it in the audit trail: `ok`, or the name of the error that stopped it. */
async function audited<T>(audit: KeyAudit, action: KeyAction, keyId: string, change: () => Promise<T>): Promise<T> {
  let result: T;
  try {
    result = await change();
  } catch (error) {
    audit.record(action, keyId, error instanceof KeyNotFound ? 'KeyNotFound' : (error as Error).name);
    throw error;
  }
  audit.record(action, keyId, 'ok');
  return result;
}

/** `longshore keys create`: a new key with one grant; its secret is shown once, here. */
export async function createKey(
  config: Config,
  out: Output,
  audit: KeyAudit,
  options: CreateKeyOptions,
): Promise<KeyEntry> {
  const file = credentialsFile(config);
  const key: KeyEntry = {
    accessKeyId: newAccessKeyId(),
    secretAccessKey: newSecretAccessKey(),
    ...(options.description ? { description: options.description } : {}),
    allow: [{ actions: options.actions, repositories: options.repositories }],
  };
  await audited(audit, 'keys.create', key.accessKeyId, async () => {
    const document = await readCredentialsDocument(file);
    await writeCredentialsDocument(file, { ...document, keys: [...document.keys, key] });
  });
  out.result(key, () => [
    `created ${key.accessKeyId} (allowed ${options.actions.join(', ')} on ${options.repositories.join(', ')})`,
    `secret access key (shown only now): ${key.secretAccessKey}`,
  ]);
  return key;
}

/** `longshore keys list`: every key with its grants, never a secret. */
export async function listKeys(config: Config, out: Output): Promise<Omit<KeyEntry, 'secretAccessKey'>[]> {
  const document = await readCredentialsDocument(credentialsFile(config));
  const keys = document.keys.map(({ secretAccessKey: _secret, sessionToken: _token, ...rest }) => rest);
  out.result(keys, () =>
    keys.length === 0
      ? ['no keys']
      : keys.map(
          (k) =>
            `${k.accessKeyId}${k.description ? ` (${k.description})` : ''}: ${k.allow
              .map((g) => `${g.actions.join(',')} on ${g.repositories.join(',')}`)
              .join('; ')}`,
        ),
  );
  return keys;
}

/** `longshore keys revoke <id>`: removes the key; the service stops accepting it once it re-reads the file. */
export async function revokeKey(config: Config, out: Output, audit: KeyAudit, accessKeyId: string): Promise<void> {
  const file = credentialsFile(config);
  await audited(audit, 'keys.revoke', accessKeyId, async () => {
    const document = await readCredentialsDocument(file);
    const keys = document.keys.filter((k) => k.accessKeyId !== accessKeyId);
    if (keys.length === document.keys.length) throw new KeyNotFound(`no key '${accessKeyId}' in ${file}`);
    await writeCredentialsDocument(file, { ...document, keys });
  });
  out.result({ revoked: accessKeyId }, () => [`revoked ${accessKeyId}`]);
}

/** `longshore keys rotate <id>`: a new secret for the key (same id and grants); the old secret stops working. */
export async function rotateKey(config: Config, out: Output, audit: KeyAudit, accessKeyId: string): Promise<KeyEntry> {
  const file = credentialsFile(config);
  const rotated = await audited(audit, 'keys.rotate', accessKeyId, async () => {
    const document = await readCredentialsDocument(file);
    const current = document.keys.find((k) => k.accessKeyId === accessKeyId);
    if (!current) throw new KeyNotFound(`no key '${accessKeyId}' in ${file}`);
    const next: KeyEntry = { ...current, secretAccessKey: newSecretAccessKey() };
    await writeCredentialsDocument(file, {
      ...document,
      keys: document.keys.map((k) => (k.accessKeyId === accessKeyId ? next : k)),
    });
    return next;
  });
  out.result(rotated, () => [
    `rotated ${accessKeyId}`,
    `new secret access key (shown only now): ${rotated.secretAccessKey}`,
  ]);
  return rotated;
}

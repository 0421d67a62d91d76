import type { Config } from '@longshore/config';
import { CliError } from '../cli-error.js';
import {
  newAccessKeyId,
  newSecretAccessKey,
  readCredentialsDocument,
  writeCredentialsDocument,
  type KeyEntry,
} from '../credentials-file.js';
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

/** `longshore keys create`: a new key with one grant; its secret is shown once, here. */
export async function createKey(config: Config, out: Output, options: CreateKeyOptions): Promise<KeyEntry> {
  const file = credentialsFile(config);
  const document = await readCredentialsDocument(file);
  const key: KeyEntry = {
    accessKeyId: newAccessKeyId(),
    secretAccessKey: newSecretAccessKey(),
    ...(options.description ? { description: options.description } : {}),
    allow: [{ actions: options.actions, repositories: options.repositories }],
  };
  await writeCredentialsDocument(file, { ...document, keys: [...document.keys, key] });
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
export async function revokeKey(config: Config, out: Output, accessKeyId: string): Promise<void> {
  const file = credentialsFile(config);
  const document = await readCredentialsDocument(file);
  const keys = document.keys.filter((k) => k.accessKeyId !== accessKeyId);
  if (keys.length === document.keys.length) throw new CliError(`no key '${accessKeyId}' in ${file}`);
  await writeCredentialsDocument(file, { ...document, keys });
  out.result({ revoked: accessKeyId }, () => [`revoked ${accessKeyId}`]);
}

/** `longshore keys rotate <id>`: a new secret for the key (same id and grants); the old secret stops working. */
export async function rotateKey(config: Config, out: Output, accessKeyId: string): Promise<KeyEntry> {
  const file = credentialsFile(config);
  const document = await readCredentialsDocument(file);
  const current = document.keys.find((k) => k.accessKeyId === accessKeyId);
  if (!current) throw new CliError(`no key '${accessKeyId}' in ${file}`);
  const rotated: KeyEntry = { ...current, secretAccessKey: newSecretAccessKey() };
  await writeCredentialsDocument(file, {
    ...document,
    keys: document.keys.map((k) => (k.accessKeyId === accessKeyId ? rotated : k)),
  });
  out.result(rotated, () => [
    `rotated ${accessKeyId}`,
    `new secret access key (shown only now): ${rotated.secretAccessKey}`,
  ]);
  return rotated;
}

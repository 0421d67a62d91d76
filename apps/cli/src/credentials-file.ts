import { randomBytes, randomInt } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { parseCredentialsFile } from '@longshore/auth';
import { writeFileAtomically } from '@longshore/storage';

/** One key as the credentials file holds it (see parse-credentials-file.ts in @longshore/auth). */
export interface KeyEntry {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken?: string;
  description?: string;
  allow: { actions: string[]; repositories: string[] }[];
}

export interface CredentialsDocument {
  keys: KeyEntry[];
  anonymousPull?: string[];
  [field: string]: unknown;
}

/** The file's document; an empty one when the file does not exist yet. */
export async function readCredentialsDocument(file: string): Promise<CredentialsDocument> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return { keys: [] };
    throw error;
  }
  parseCredentialsFile(text, file); // refuses to edit a file the service would refuse
  const document = JSON.parse(text) as CredentialsDocument;
  return { ...document, keys: document.keys ?? [] };
}

/**
 * Replaces the file atomically (a temp file in the same directory, fsynced, renamed over it), so
 * the service, which re-reads it when it changes (LiveCredentials), never sees half of it; the
 * new document is validated first, as the service will. Owner-only: it holds secrets.
 */
export async function writeCredentialsDocument(file: string, document: CredentialsDocument): Promise<void> {
  const text = `${JSON.stringify(document, null, 2)}\n`;
  parseCredentialsFile(text, file);
  await writeFileAtomically(file, text, 0o600);
}

const ID_ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';

/** An access key id shaped like AWS's: AKIA and 16 more characters. */
export function newAccessKeyId(): string {
  let id = 'AKIA';
  for (let i = 0; i < 16; i += 1) id += ID_ALPHABET[randomInt(ID_ALPHABET.length)];
  return id;
}

/** A 40-character secret access key (30 random bytes). */
export function newSecretAccessKey(): string {
  return randomBytes(30).toString('base64').replace(/\+/g, 'A').replace(/\//g, 'B');
}

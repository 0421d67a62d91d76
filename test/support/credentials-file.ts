import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { TestCredentials } from './request-signing.js';

export interface KeyEntry extends TestCredentials {
  allow: { actions: string[]; repositories: string[] }[];
}

/** Writes a CREDENTIALS_FILE (owner-only, as operators should) and returns its path. */
export async function writeCredentialsFile(
  dir: string,
  contents: { keys: KeyEntry[]; anonymousPull?: string[] },
  name = 'credentials.json',
): Promise<string> {
  const file = path.join(dir, name);
  await writeFile(file, JSON.stringify(contents, null, 2), { mode: 0o600 });
  return file;
}

/** A key allowed everything on `team-a/*`, and only to pull from `team-b/*`. */
export const teamAKey: KeyEntry = {
  accessKeyId: 'AKIATEAMAEXAMPLE0001',
  secretAccessKey: 'team-a-secret-access-key-0000000000000001',
  allow: [
    { actions: ['ecr:*'], repositories: ['team-a/*'] },
    {
      actions: ['ecr:BatchGetImage', 'ecr:GetDownloadUrlForLayer', 'ecr:BatchCheckLayerAvailability'],
      repositories: ['team-b/*'],
    },
    { actions: ['ecr:GetAuthorizationToken'], repositories: ['*'] },
  ],
};

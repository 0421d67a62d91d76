import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { TestCredentials } from './request-signing.js';

export interface KeyEntry extends TestCredentials {
  allow: { actions: string[]; repositories: string[] }[];
}

/**
 * Writes a CREDENTIALS_FILE (owner-only, as operators should) and returns its path. Each key is
 * written with its own fields only: the AWS SDK marks a credentials object it is handed (it adds
 * `$source`), and the keys below are shared by every test file a vitest worker runs.
 */
export async function writeCredentialsFile(
  dir: string,
  contents: { keys: KeyEntry[]; anonymousPull?: string[] },
  name = 'credentials.json',
): Promise<string> {
  const file = path.join(dir, name);
  const keys = contents.keys.map(({ accessKeyId, secretAccessKey, sessionToken, allow }) => ({
    accessKeyId,
    secretAccessKey,
    ...(sessionToken === undefined ? {} : { sessionToken }),
    allow,
  }));
  await writeFile(file, JSON.stringify({ ...contents, keys }, null, 2), { mode: 0o600 });
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

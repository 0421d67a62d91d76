import { describe, expect, it } from 'vitest';
import { CredentialsError } from './credentials-error.js';
import { parseCredentialsFile } from './parse-credentials-file.js';

const problemsOf = (text: string): string[] => {
  try {
    parseCredentialsFile(text, 'test');
  } catch (err) {
    expect(err).toBeInstanceOf(CredentialsError);
    return (err as CredentialsError).problems;
  }
  throw new Error('expected the file to be refused');
};

describe('parseCredentialsFile', () => {
  it('reads the documented form', () => {
    const file = parseCredentialsFile(
      JSON.stringify({
        keys: [
          {
            accessKeyId: 'AKIAEXAMPLE0001',
            secretAccessKey: 'a-long-enough-secret',
            allow: [{ actions: ['ecr:BatchGetImage', 'ecr:Get*'], repositories: ['team-a/*'] }],
          },
        ],
        anonymousPull: ['public/*'],
      }),
      'test',
    );
    const key = file.keys[0]!;
    expect(key.allows('ecr:GetDownloadUrlForLayer', 'team-a/app')).toBe(true);
    expect(key.allows('ecr:BatchGetImage', 'team-a/app')).toBe(true);
    expect(key.allows('ecr:PutImage', 'team-a/app')).toBe(false);
    expect(key.allows('ecr:BatchGetImage', 'team-b/app')).toBe(false);
    expect(file.anonymousPull[0]?.matches('public/app')).toBe(true);
  });

  it('reports every problem at once, by its place, and never a secret', () => {
    const problems = problemsOf(
      JSON.stringify({
        keys: [
          { accessKeyId: 'bad id!', secretAccessKey: 'short', allow: [] },
          {
            accessKeyId: 'AKIAEXAMPLE0002',
            secretAccessKey: 'secret-number-two',
            allow: [{ actions: ['s3:GetObject', 'ecr:Fly*'], repositories: ['Team-A/*'] }],
            extra: true,
          },
          {
            accessKeyId: 'AKIAEXAMPLE0002',
            secretAccessKey: 'secret-number-two',
            allow: [{ actions: ['*'], repositories: ['*'] }],
          },
        ],
        anonymousPull: 'public/*',
        typo: 1,
      }),
    ).join('\n');
    expect(problems).toMatch(/^typo: unknown field/m);
    expect(problems).toMatch(/keys\[0\]\.accessKeyId: must be 4 to 128 letters and digits/);
    expect(problems).toMatch(/keys\[0\]\.secretAccessKey: must be a string of at least 8/);
    expect(problems).toMatch(/keys\[0\]\.allow: must be a non-empty list/);
    expect(problems).toMatch(/keys\[1\]\.extra: unknown field/);
    expect(problems).toMatch(/keys\[1\]\.allow\[0\]\.actions\[0\]: must be "ecr:<Action>"/);
    expect(problems).toMatch(/keys\[1\]\.allow\[0\]\.actions\[1\]: 'ecr:Fly\*' matches no ECR action/);
    expect(problems).toMatch(/keys\[1\]\.allow\[0\]\.repositories\[0\]: must be a repository name pattern/);
    expect(problems).toMatch(/anonymousPull: must be a list/);
    expect(problems).not.toMatch(/secret-number-two|short/);
  });

  it('refuses a file that is not JSON, or a duplicated key', () => {
    expect(problemsOf('{ keys: [')[0]).toMatch(/^not valid JSON/);
    const key = {
      accessKeyId: 'AKIADUPLICATE01',
      secretAccessKey: 'secret-secret',
      allow: [{ actions: ['*'], repositories: ['*'] }],
    };
    expect(problemsOf(JSON.stringify({ keys: [key, key] }))).toEqual([
      "keys[1].accessKeyId: 'AKIADUPLICATE01' appears twice",
    ]);
  });
});

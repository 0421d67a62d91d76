import { randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { CreateRepositoryCommand } from '@aws-sdk/client-ecr';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { teamAKey, writeCredentialsFile } from '../support/credentials-file.js';
import { startLongshore, type Longshore } from '../support/longshore-harness.js';
import { testAdminKey, type TestCredentials } from '../support/request-signing.js';
import { runProcess } from '../support/run-process.js';

/** Debian's `awscli` package (test/global-setup.ts and .ci/run install it). */
const AWS = '/usr/bin/aws';

describe('SigV4 with the AWS CLI', () => {
  let longshore: Longshore;
  let dir: string;

  beforeAll(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'longshore-cli-'));
    const credentialsFile = await writeCredentialsFile(dir, { keys: [teamAKey] });
    longshore = await startLongshore({ env: { CREDENTIALS_FILE: credentialsFile } });
    await longshore.ecr.send(new CreateRepositoryCommand({ repositoryName: 'team-a/app' }));
  });
  afterAll(async () => {
    await longshore?.close();
    await rm(dir, { recursive: true, force: true });
  });

  const aws = (credentials: TestCredentials | undefined, ...args: string[]) =>
    runProcess(
      AWS,
      [
        'ecr',
        ...args,
        '--endpoint-url',
        longshore.endpoint,
        '--output',
        'json',
        ...(credentials ? [] : ['--no-sign-request']),
      ],
      {
        AWS_REGION: 'us-east-1',
        AWS_MAX_ATTEMPTS: '1',
        AWS_PAGER: '',
        ...(credentials
          ? { AWS_ACCESS_KEY_ID: credentials.accessKeyId, AWS_SECRET_ACCESS_KEY: credentials.secretAccessKey }
          : {}),
      },
    );

  it('works with the right key', async () => {
    const run = await aws(testAdminKey, 'describe-repositories');
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    expect(
      (JSON.parse(run.stdout) as { repositories: { repositoryName: string }[] }).repositories[0]?.repositoryName,
    ).toBe('team-a/app');
  });

  it.each([
    ['no credentials', undefined, 'MissingAuthenticationTokenException'],
    [
      'an unknown key',
      { accessKeyId: 'AKIAUNKNOWNCLI000000', secretAccessKey: 'some-secret' },
      'UnrecognizedClientException',
    ],
    [
      'a wrong secret',
      { accessKeyId: testAdminKey.accessKeyId, secretAccessKey: 'wrong-secret' },
      'InvalidSignatureException',
    ],
  ])('reports %s as %s', async (_case, credentials, code) => {
    const run = await aws(credentials, 'describe-repositories');
    expect(run.code).not.toBe(0);
    expect(run.stderr).toContain(`An error occurred (${code}) when calling the DescribeRepositories operation`);
  });

  it('reports AccessDeniedException when the key may not push to the repository', async () => {
    const denied = await aws(teamAKey, 'initiate-layer-upload', '--repository-name', 'team-b/app');
    expect(denied.code).not.toBe(0);
    expect(denied.stderr).toContain(
      'An error occurred (AccessDeniedException) when calling the InitiateLayerUpload operation',
    );
    const allowed = await aws(teamAKey, 'initiate-layer-upload', '--repository-name', 'team-a/app');
    expect(allowed.code).toBe(0);
  });

  it('get-login-password prints a token the registry doors accept', async () => {
    const run = await aws(testAdminKey, 'get-login-password');
    expect(run.code).toBe(0);
    const token = run.stdout.trim();
    const status = (authorization: string) =>
      longshore.fetch(`/v1/uploads/${randomUUID()}`, { headers: { authorization } }).then((r) => r.status);
    expect(await status(`Bearer ${token}`)).toBe(404);
    expect(await status(`Bearer ${token.slice(0, -2)}xx`)).toBe(401);
  });
});

import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { CreateRepositoryCommand, DescribeRepositoriesCommand } from '@aws-sdk/client-ecr';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { teamAKey, writeCredentialsFile } from '../support/credentials-file.js';
import { startLongshore, type Longshore } from '../support/longshore-harness.js';
import { testAdminKey } from '../support/request-signing.js';
import { runProcess } from '../support/run-process.js';

const PYTHON = '/usr/bin/python3';
const script = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', 'support', 'botocore-auth.py');

interface Outcome {
  code: string | null;
  message?: string;
  httpStatus?: number;
  className?: string;
  result?: Record<string, unknown>;
}

describe('SigV4 with botocore (boto3 and the AWS CLI)', () => {
  let longshore: Longshore;
  let dir: string;
  let results: Record<string, Outcome>;

  beforeAll(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'longshore-botocore-auth-'));
    const credentialsFile = await writeCredentialsFile(dir, { keys: [teamAKey] });
    longshore = await startLongshore({ env: { CREDENTIALS_FILE: credentialsFile } });
    for (const repositoryName of ['team-a/app', 'team-b/app']) {
      await longshore.ecr.send(new CreateRepositoryCommand({ repositoryName }));
    }
    const run = await runProcess(
      PYTHON,
      [
        script,
        longshore.endpoint,
        testAdminKey.accessKeyId,
        testAdminKey.secretAccessKey,
        teamAKey.accessKeyId,
        teamAKey.secretAccessKey,
      ],
      {},
    );
    if (run.code === 3) throw new Error(`botocore is missing: apt-get install -y python3-botocore\n${run.stderr}`);
    if (run.code !== 0) throw new Error(`${script} exited with ${run.code}\n${run.stderr}\n${run.stdout}`);
    results = JSON.parse(run.stdout) as Record<string, Outcome>;
  });
  afterAll(async () => {
    await longshore?.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('serves the correct key', () => {
    expect(results.correctKey).toMatchObject({ code: null });
    expect(results.correctKey?.result?.repositories).toHaveLength(2);
  });

  it.each([
    ['noCredentials', 'MissingAuthenticationTokenException', 403],
    ['unknownKey', 'UnrecognizedClientException', 403],
    ['wrongSecret', 'InvalidSignatureException', 403],
    ['tamperedBody', 'InvalidSignatureException', 403],
    ['sixteenMinutesBehind', 'InvalidSignatureException', 403],
    ['sixteenMinutesAhead', 'InvalidSignatureException', 403],
    ['limitedPushElsewhere', 'AccessDeniedException', 400],
  ])('%s raises %s', (name, code, status) => {
    expect(results[name]).toMatchObject({ code, httpStatus: status, className: 'ClientError' });
  });

  it('says why a skewed signature is refused', () => {
    expect(results.sixteenMinutesBehind?.message).toMatch(/Signature expired/);
    expect(results.sixteenMinutesAhead?.message).toMatch(/Signature not yet current/);
  });

  it('created nothing for the tampered request', async () => {
    const names = (await longshore.ecr.send(new DescribeRepositoriesCommand({}))).repositories?.map(
      (r) => r.repositoryName,
    );
    expect(names?.sort()).toEqual(['team-a/app', 'team-b/app']);
  });

  it('lets the limited key push to its own repositories and pull where allowed', () => {
    expect(results.limitedPushOwn).toMatchObject({ code: null });
    expect(results.limitedPushOwn?.result?.uploadId).toMatch(/^[0-9a-f-]{36}$/);
    expect(results.limitedPullAllowed).toMatchObject({ code: null });
    expect(results.limitedPullAllowed?.result?.failures).toHaveLength(1);
  });

  it('returns a login token botocore parses', () => {
    const list = results.authorizationToken?.result?.authorizationData as Record<string, string>[] | undefined;
    const data = list?.[0] ?? {};
    expect(Buffer.from(data.authorizationToken ?? '', 'base64').toString()).toMatch(/^AWS:/);
    expect(data.proxyEndpoint).toBe(longshore.endpoint);
    expect(new Date(data.expiresAt ?? 0).getTime()).toBeGreaterThan(Date.now() + 11 * 3600_000);
  });
});

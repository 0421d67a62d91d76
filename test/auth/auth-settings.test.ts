import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { CreateRepositoryCommand, GetAuthorizationTokenCommand } from '@aws-sdk/client-ecr';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { startLongshore, type Longshore } from '../support/longshore-harness.js';
import { runProcess } from '../support/run-process.js';

const apiEntry = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../apps/api/dist/main.js');

describe('AUTH=off', () => {
  let longshore: Longshore;
  beforeAll(async () => {
    longshore = await startLongshore({ env: { AUTH: 'off' } });
    await longshore.ecr.send(new CreateRepositoryCommand({ repositoryName: 'open/app' }));
  });
  afterAll(() => longshore?.close());

  it('serves every door without credentials', async () => {
    const ecr = await longshore.fetch(
      '/',
      {
        method: 'POST',
        headers: {
          'content-type': 'application/x-amz-json-1.1',
          'x-amz-target': 'AmazonEC2ContainerRegistry_V20150921.DescribeRepositories',
        },
        body: '{}',
      },
      'anonymous',
    );
    expect(ecr.status).toBe(200);
    const tags = await longshore.fetch('/v2/open/app/tags/list', {}, 'anonymous');
    expect(tags.status).toBe(200);
    expect(await tags.json()).toEqual({ name: 'open/app', tags: [] });
    expect((await longshore.fetch('/v2/', {}, 'anonymous')).status).toBe(200);
    const token = await longshore.ecr.send(new GetAuthorizationTokenCommand({}));
    expect(Buffer.from(token.authorizationData?.[0]?.authorizationToken ?? '', 'base64').toString()).toMatch(/^AWS:/);
  });
});

describe('credentials that cannot be used stop the API at start, with a clear error', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'longshore-bad-credentials-'));
  });
  afterAll(() => rm(dir, { recursive: true, force: true }));

  const start = (env: Record<string, string>) =>
    runProcess(process.execPath, [apiEntry], {
      REDIS_URL: inject('redisUrl'),
      DATA_DIR: dir,
      PORT: '0',
      LOG_FORMAT: 'json',
      QUEUE_PREFIX: 'badcreds',
      ...env,
    });

  it('names each problem of the credentials file and never prints a secret', async () => {
    const file = path.join(dir, 'credentials.json');
    await writeFile(
      file,
      JSON.stringify({
        keys: [
          {
            accessKeyId: 'AKIAOK000001',
            secretAccessKey: 'do-not-print-me',
            allow: [{ actions: ['ecr:Nope'], repositories: ['a/*'] }],
          },
        ],
      }),
    );
    const run = await start({ CREDENTIALS_FILE: file });
    expect(run.code).toBe(1);
    const output = run.stdout + run.stderr;
    expect(output).toContain("keys[0].allow[0].actions[0]: 'ecr:Nope' matches no ECR action");
    expect(output).not.toContain('do-not-print-me');
  });

  it('says how to configure a key when AUTH=sigv4 has none', async () => {
    const run = await start({});
    expect(run.code).toBe(1);
    expect(run.stdout + run.stderr).toMatch(/AUTH=sigv4 needs at least one access key: set ADMIN_ACCESS_KEY_ID/);
  });
});

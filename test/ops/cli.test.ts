import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import {
  CreateRepositoryCommand,
  DeleteRepositoryCommand,
  DescribeRepositoriesCommand,
  type ECRClient,
} from '@aws-sdk/client-ecr';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startLauncher, type LauncherRun } from '../support/launcher-harness.js';
import { pushLayer, randomLayer } from '../support/layer-data.js';
import { ecrClient, startLongshore, type Longshore } from '../support/longshore-harness.js';
import { longshoreCli, runCli } from '../support/rebuild-index-scenario.js';

const run = promisify(execFile);

interface CreatedKey {
  accessKeyId: string;
  secretAccessKey: string;
}

/** What an SDK call with `client` answers: 'ok' or the error's name. */
const outcome = (client: ECRClient, repositoryName: string) =>
  client.send(new DescribeRepositoriesCommand({ repositoryNames: [repositoryName] })).then(
    () => 'ok',
    (error: Error) => error.name,
  );

describe('npx longshore, beside a running service', () => {
  let longshore: Longshore;
  let dir: string;
  let credentialsFile: string;
  let auditLog: string;
  let cliEnv: Record<string, string>;

  beforeAll(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'longshore-cli-'));
    credentialsFile = path.join(dir, 'credentials.json');
    auditLog = path.join(dir, 'audit.log');
    await writeFile(credentialsFile, JSON.stringify({ keys: [] }), { mode: 0o600 });
    longshore = await startLongshore({
      env: { CREDENTIALS_FILE: credentialsFile, GC_GRACE_SECONDS: '0', AUDIT_LOG: auditLog },
    });
    cliEnv = longshore.env;
    await longshore.ecr.send(new CreateRepositoryCommand({ repositoryName: 'cli/allowed' }));
  }, 120_000);
  afterAll(async () => {
    await longshore?.close();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('keys create, list, rotate and revoke edit CREDENTIALS_FILE, and the running service follows', async () => {
    const created = (await runCli(cliEnv, [
      'keys',
      'create',
      '--repositories',
      'cli/*',
      '--description',
      'ci pushes',
      '--json',
    ])) as CreatedKey;
    expect(created.accessKeyId).toMatch(/^AKIA[A-Z2-7]{16}$/);
    expect(created.secretAccessKey).toHaveLength(40);
    expect((await stat(credentialsFile)).mode & 0o777).toBe(0o600);

    // The service re-reads the file: the new key works on its repositories, and only there.
    const client = ecrClient(longshore.endpoint, 1, created);
    await expect.poll(() => outcome(client, 'cli/allowed'), { timeout: 30_000, interval: 100 }).toBe('ok');
    expect(
      await client.send(new CreateRepositoryCommand({ repositoryName: 'elsewhere/x' })).then(
        () => 'ok',
        (e: Error) => e.name,
      ),
    ).toBe('AccessDeniedException');

    const listed = (await runCli(cliEnv, ['keys', 'list', '--json'])) as Record<string, unknown>[];
    expect(listed).toEqual([
      {
        accessKeyId: created.accessKeyId,
        description: 'ci pushes',
        allow: [{ actions: ['ecr:*'], repositories: ['cli/*'] }],
      },
    ]);

    const rotated = (await runCli(cliEnv, ['keys', 'rotate', created.accessKeyId, '--json'])) as CreatedKey;
    expect(rotated.accessKeyId).toBe(created.accessKeyId);
    expect(rotated.secretAccessKey).not.toBe(created.secretAccessKey);
    const rotatedClient = ecrClient(longshore.endpoint, 1, rotated);
    await expect.poll(() => outcome(rotatedClient, 'cli/allowed'), { timeout: 30_000, interval: 100 }).toBe('ok');
    expect(await outcome(client, 'cli/allowed')).toBe('InvalidSignatureException');

    await runCli(cliEnv, ['keys', 'revoke', created.accessKeyId, '--json']);
    await expect
      .poll(() => outcome(rotatedClient, 'cli/allowed'), { timeout: 30_000, interval: 100 })
      .toBe('UnrecognizedClientException');
    expect(JSON.parse(await readFile(credentialsFile, 'utf8'))).toEqual({ keys: [] });
  });

  it('refuses to revoke a key that does not exist, with a message and exit code 1', async () => {
    const failed = await run(process.execPath, [longshoreCli, 'keys', 'revoke', 'AKIANOSUCHKEY0000000'], {
      env: cliEnv,
    }).then(
      () => undefined,
      (error: { code: number; stderr: string }) => error,
    );
    expect(failed?.code).toBe(1);
    expect(failed?.stderr).toContain(`no key 'AKIANOSUCHKEY0000000' in ${credentialsFile}`);
  });

  it('each key change is one audit line in AUDIT_LOG, beside the service lines, without the secret', async () => {
    const created = (await runCli(cliEnv, ['keys', 'create', '--repositories', 'audit/*', '--json'])) as CreatedKey;
    const rotated = (await runCli(cliEnv, ['keys', 'rotate', created.accessKeyId, '--json'])) as CreatedKey;
    await runCli(cliEnv, ['keys', 'revoke', created.accessKeyId, '--json']);
    const refused = await run(process.execPath, [longshoreCli, 'keys', 'rotate', created.accessKeyId], {
      env: cliEnv,
    }).then(
      () => 0,
      (error: { code: number }) => error.code,
    );
    expect(refused).toBe(1);

    const text = await readFile(auditLog, 'utf8');
    expect(text).not.toContain(created.secretAccessKey);
    expect(text).not.toContain(rotated.secretAccessKey);
    const lines = text
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as Record<string, unknown>);
    // The service's own line for the repository created in beforeAll shares the file.
    expect(lines).toContainEqual(
      expect.objectContaining({ action: 'CreateRepository', door: 'ecr', repository: 'cli/allowed', result: 'ok' }),
    );
    const keyLines = lines.filter((line) => line.door === 'cli' && line.keyId === created.accessKeyId);
    const actor = `cli:${os.userInfo().username}`;
    expect(keyLines).toEqual([
      {
        time: expect.any(String),
        audit: true,
        action: 'keys.create',
        door: 'cli',
        keyId: created.accessKeyId,
        actor,
        result: 'ok',
      },
      {
        time: expect.any(String),
        audit: true,
        action: 'keys.rotate',
        door: 'cli',
        keyId: created.accessKeyId,
        actor,
        result: 'ok',
      },
      {
        time: expect.any(String),
        audit: true,
        action: 'keys.revoke',
        door: 'cli',
        keyId: created.accessKeyId,
        actor,
        result: 'ok',
      },
      {
        time: expect.any(String),
        audit: true,
        action: 'keys.rotate',
        door: 'cli',
        keyId: created.accessKeyId,
        actor,
        result: 'KeyNotFound',
      },
    ]);
    for (const line of keyLines) expect(Number.isNaN(Date.parse(line.time as string))).toBe(false);
  });

  it('status reports the queues and the live worker', async () => {
    const status = (await runCli(cliEnv, ['status', '--json'])) as {
      storage: string;
      queues: Record<string, Record<string, number>>;
      workers: { alive: boolean }[];
    };
    expect(status.storage).toBe(longshore.storage.driver.name);
    expect(Object.keys(status.queues).sort()).toEqual(['callbacks', 'finalize', 'maintenance', 'verify-parts']);
    expect(status.queues.finalize).toMatchObject({ waiting: 0, active: 0, failed: 0 });
    expect(status.workers.filter((w) => w.alive)).toHaveLength(1);
    // A reader: the finalize queue keeps the short events stream its producers set, not BullMQ's default.
    const redis = longshore.connectRedis();
    try {
      expect(await redis.hget(`${longshore.config.queuePrefix}:finalize:meta`, 'opts.maxLenEvents')).toBe('100');
    } finally {
      await redis.quit();
    }
  });

  it('gc run collects a blob nothing references any more, on the workers, and reports it', async () => {
    const layer = randomLayer(4096);
    await longshore.ecr.send(new CreateRepositoryCommand({ repositoryName: 'cli/gc' }));
    await pushLayer(longshore.ecr, 'cli/gc', layer);
    expect(await longshore.storage.storedBlobDigests()).toContain(layer.digest);
    await longshore.ecr.send(new DeleteRepositoryCommand({ repositoryName: 'cli/gc', force: true }));

    const report = (await runCli(cliEnv, ['gc', 'run', '--json'])) as { deleted: number; bytes: number };
    expect(report.deleted).toBeGreaterThanOrEqual(1);
    expect(report.bytes).toBeGreaterThanOrEqual(layer.bytes.length);
    expect(await longshore.storage.storedBlobDigests()).not.toContain(layer.digest);
  });
});

describe('npx longshore finds the embedded Redis of `npm start` through DATA_DIR', () => {
  let launched: LauncherRun;
  const prefix = `t${Math.random().toString(36).slice(2, 10)}`;

  beforeAll(async () => {
    launched = await startLauncher({ embeddedRedis: true, env: { QUEUE_PREFIX: prefix, WORKER_PROCESSES: '1' } });
  }, 120_000);
  afterAll(async () => {
    await launched?.close();
  });

  it('status with only DATA_DIR set names the running redis-server and its worker', async () => {
    const env = { PATH: process.env.PATH ?? '', DATA_DIR: launched.dataDir, QUEUE_PREFIX: prefix };
    const status = (await runCli(env, ['status', '--json'])) as {
      redis: { url: string; embeddedPid?: number };
      workers: { alive: boolean }[];
    };
    expect(status.redis.embeddedPid).toBe(launched.pidOf('redis'));
    expect(status.workers.filter((w) => w.alive)).toHaveLength(1);
  });

  it('says how to point it at Redis when nothing runs under DATA_DIR', async () => {
    const empty = await mkdtemp(path.join(os.tmpdir(), 'longshore-cli-empty-'));
    try {
      const failed = await run(process.execPath, [longshoreCli, 'status'], {
        env: { PATH: process.env.PATH ?? '', DATA_DIR: empty },
      }).then(
        () => undefined,
        (error: { code: number; stderr: string }) => error,
      );
      expect(failed?.code).toBe(1);
      expect(failed?.stderr).toContain(`no running Longshore was found under DATA_DIR=${empty}`);
      expect(failed?.stderr).toContain('set REDIS_URL');
    } finally {
      await rm(empty, { recursive: true, force: true });
    }
  });
});

describe('npx longshore blocks, beside a service that throttles failed authentications', () => {
  const LIMIT = 3;
  let longshore: Longshore;

  beforeAll(async () => {
    longshore = await startLongshore({ env: { AUTH_FAILURE_LIMIT: String(LIMIT) } });
  }, 120_000);
  afterAll(() => longshore?.close());

  it('blocks list and lift show and lift the (source, key id) pairs throttled for failing authentication', async () => {
    const limit = LIMIT;
    const stranger = ecrClient(longshore.endpoint, 1, {
      accessKeyId: 'AKIACLIBLOCKED000001',
      secretAccessKey: 'not-a-configured-secret',
    });
    for (let i = 0; i <= limit; i++) expect(await outcome(stranger, 'cli/allowed')).not.toBe('ok');
    expect(await outcome(stranger, 'cli/allowed')).toBe('ThrottlingException');
    const listed = (await runCli(longshore.env, ['blocks', 'list', '--json'])) as {
      source: string;
      accessKeyId?: string;
    }[];
    expect(listed).toEqual([
      expect.objectContaining({ source: '127.0.0.1', accessKeyId: 'AKIACLIBLOCKED000001', failures: limit + 2 }),
    ]);
    const lifted = await runCli(longshore.env, ['blocks', 'lift', '127.0.0.1', 'AKIACLIBLOCKED000001', '--json']);
    expect(lifted).toEqual({ source: '127.0.0.1', accessKeyId: 'AKIACLIBLOCKED000001', lifted: true });
    expect(await runCli(longshore.env, ['blocks', 'list', '--json'])).toEqual([]);
    expect(await outcome(stranger, 'cli/allowed')).toBe('UnrecognizedClientException');
  });
});

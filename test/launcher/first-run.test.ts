import { execFile, spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtemp, rm } from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { DescribeRepositoriesCommand } from '@aws-sdk/client-ecr';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { startLauncher, type LauncherRun } from '../support/launcher-harness.js';
import { requireOsTool } from '../support/os-tools.js';

const run = promisify(execFile);
const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const launcherEntry = path.join(root, 'apps/launcher/dist/main.js');

interface Ended {
  code: number | null;
  output: string;
}

/** `npm start` (the real launcher) run until it exits on its own: its exit code and everything it printed. */
async function launchUntilExit(env: Record<string, string>): Promise<Ended> {
  const dataDir = await mkdtemp(path.join(os.tmpdir(), 'longshore-second-'));
  try {
    const launcher = spawn(process.execPath, [launcherEntry], {
      env: {
        PATH: process.env.PATH ?? '',
        DATA_DIR: dataDir,
        REDIS_URL: inject('redisUrl'),
        QUEUE_PREFIX: `t${Math.random().toString(36).slice(2, 10)}`,
        LOG_LEVEL: 'info',
        LOG_FORMAT: 'json',
        AUTH: 'off',
        ...env,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    launcher.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    launcher.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    const [code] = (await once(launcher, 'close')) as [number | null];
    return { code, output };
  } finally {
    await rm(dataDir, { recursive: true, force: true });
  }
}

const portOf = (url: string) => Number(new URL(url).port);

describe('a second `npm start` on the ports of a running one', () => {
  let first: LauncherRun;

  beforeAll(async () => {
    first = await startLauncher();
  }, 120_000);
  afterAll(async () => {
    await first?.close();
  });

  it('on a busy METRICS_PORT: names METRICS_PORT and the address, exits non-zero, the first one keeps serving', async () => {
    const metricsPort = portOf(first.metricsUrl);
    const second = await launchUntilExit({ PORT: '0', METRICS_PORT: String(metricsPort) });
    expect(second.code).toBe(1);
    expect(second.output).toContain(
      `127.0.0.1:${metricsPort} is already in use (another Longshore or another program listens there): choose another with METRICS_PORT`,
    );
    expect(second.output).not.toContain('EADDRINUSE');
    expect(second.output).not.toContain('process died; restarting');
    expect((await first.ecr.send(new DescribeRepositoriesCommand({}))).$metadata.httpStatusCode).toBe(200);
  });

  it('on a busy PORT: names PORT and the address, exits non-zero, the first one keeps serving', async () => {
    const port = portOf(first.endpoint);
    const second = await launchUntilExit({ PORT: String(port), METRICS_PORT: '0' });
    expect(second.code).toBe(1);
    expect(second.output).toContain(
      `127.0.0.1:${port} is already in use (another Longshore or another program listens there): choose another with PORT`,
    );
    expect(second.output).not.toContain('process died; restarting');
    expect((await first.ecr.send(new DescribeRepositoriesCommand({}))).$metadata.httpStatusCode).toBe(200);
  });
});

/** A port free now (the launcher prints PORT as configured, so the first run needs a real one). */
async function freePort(): Promise<number> {
  const server = net.createServer().listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as net.AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

describe('the AWS CLI commands the first `npm start` prints', () => {
  let launched: LauncherRun;
  let home: string;

  beforeAll(async () => {
    home = await mkdtemp(path.join(os.tmpdir(), 'longshore-aws-home-'));
    // No key configured: the launcher generates the admin key and prints how to use it.
    launched = await startLauncher({
      env: { PORT: String(await freePort()), ADMIN_ACCESS_KEY_ID: '', ADMIN_SECRET_ACCESS_KEY: '' },
    });
  }, 120_000);
  afterAll(async () => {
    await launched?.close();
    if (home) await rm(home, { recursive: true, force: true });
  });

  it('work as printed with AWS CLI v1 (the Debian awscli; v2 is not installable offline) and botocore', async () => {
    const aws = await requireOsTool('aws', 'awscli');
    // The printed lines, exactly (stdout is a pipe here, so the secret line reads the owner-only file).
    const printed = launched.lines.map((line) => line.msg).filter((text) => /^ {2}(export |aws ecr )/.test(text));
    const exports = printed.filter((text) => text.startsWith('  export '));
    const create = printed.find((text) => text.startsWith('  aws ecr create-repository '));
    const login = printed.find((text) => text.startsWith('  aws ecr get-login-password '));
    expect(exports.map((text) => text.trim().split('=')[0])).toEqual([
      'export AWS_ACCESS_KEY_ID',
      'export AWS_SECRET_ACCESS_KEY',
      'export AWS_REGION',
    ]);
    expect(create).toBeDefined();
    expect(login).toBeDefined();
    const endpointUrl = /--endpoint-url (\S+)/.exec(create!)?.[1];
    expect(endpointUrl).toBe(launched.endpoint);

    // A shell with nothing AWS-related set and an empty HOME (no ~/.aws): only the printed lines configure it.
    const shell = (script: string) =>
      run('bash', ['-euo', 'pipefail', '-c', script], {
        env: { PATH: path.dirname(aws) + path.delimiter + (process.env.PATH ?? ''), HOME: home },
      });
    const prelude = exports.map((text) => text.trim()).join('\n');

    const created = await shell(`${prelude}\n${create!.trim()}`);
    expect(JSON.parse(created.stdout).repository.repositoryName).toBe('demo/app');

    const described = await shell(`${prelude}\naws ecr describe-repositories --endpoint-url ${endpointUrl}`);
    expect(
      (JSON.parse(described.stdout) as { repositories: { repositoryName: string }[] }).repositories.map(
        (r) => r.repositoryName,
      ),
    ).toEqual(['demo/app']);

    // The login line up to its pipe: the password docker/podman would be given is the registry's token.
    const password = (await shell(`${prelude}\n${login!.trim().split(' | ')[0]}`)).stdout.trim();
    const token = await fetch(`${endpointUrl}/v2/`, {
      headers: { authorization: `Basic ${Buffer.from(`AWS:${password}`).toString('base64')}` },
    });
    expect(token.status).toBe(200);
    const wrong = await fetch(`${endpointUrl}/v2/`, {
      headers: { authorization: `Basic ${Buffer.from(`AWS:${password}x`).toString('base64')}` },
    });
    expect(wrong.status).toBe(401);

    // botocore (which the AWS CLI v1 and the Python SDK are built on) reads the same variables.
    const botocore = await shell(
      `${prelude}\npython3 -c 'import json, botocore.session; c = botocore.session.get_session().create_client("ecr", endpoint_url="${endpointUrl}"); print(json.dumps([r["repositoryName"] for r in c.describe_repositories()["repositories"]]))'`,
    );
    expect(JSON.parse(botocore.stdout)).toEqual(['demo/app']);
  });
});

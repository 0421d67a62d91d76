import { execFileSync } from 'node:child_process';
import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { loadConfig } from '@longshore/config';
import { createLogger } from '@longshore/telemetry';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { generatedAdminKey } from './generated-admin-key.js';

describe('the admin key npm start generates', () => {
  let dataDir: string;
  const log = createLogger({ name: 'test', level: 'silent', format: 'json' });
  beforeEach(async () => {
    dataDir = path.join(await mkdtemp(path.join(os.tmpdir(), 'longshore-admin-key-')), 'data');
  });
  afterEach(async () => {
    vi.restoreAllMocks();
    await rm(path.dirname(dataDir), { recursive: true, force: true });
  });

  it('is generated once, stored owner-only, printed with how to use it, and reused', async () => {
    const printed: string[] = [];
    vi.spyOn(console, 'log').mockImplementation((line: string) => void printed.push(line));
    const config = loadConfig({ DATA_DIR: dataDir });
    const key = await generatedAdminKey(config, log, true);
    expect(key?.accessKeyId).toMatch(/^LSAK[A-Z2-7]{16}$/);
    expect(key?.secretAccessKey.length).toBe(40);
    const file = path.join(dataDir, 'admin-credentials.json');
    expect((await stat(file)).mode & 0o777).toBe(0o600);
    expect(JSON.parse(await readFile(file, 'utf8'))).toEqual(key);
    expect(printed.join('\n')).toContain(`export AWS_ACCESS_KEY_ID=${key?.accessKeyId}`);
    expect(printed.join('\n')).toContain('aws ecr get-login-password');
    // On a terminal the secret is printed once; AWS CLI v1 needs AWS_DEFAULT_REGION, v2 reads either.
    expect(printed.join('\n')).toContain(`export AWS_SECRET_ACCESS_KEY=${key?.secretAccessKey}`);
    expect(printed.join('\n')).toContain('export AWS_REGION=us-east-1 AWS_DEFAULT_REGION=us-east-1');

    printed.length = 0;
    expect(await generatedAdminKey(config, log)).toEqual(key);
    expect(printed.join('\n')).not.toContain(key?.secretAccessKey);
  });

  it('when stdout is not a terminal (a log), keeps the secret in the file: the printed command reads it from there', async () => {
    const printed: string[] = [];
    vi.spyOn(console, 'log').mockImplementation((line: string) => void printed.push(line));
    const key = await generatedAdminKey(loadConfig({ DATA_DIR: dataDir }), log, false);
    const text = printed.join('\n');
    expect(text).not.toContain(key!.secretAccessKey);
    const exportLine = text.split('\n').find((l) => l.includes('export AWS_SECRET_ACCESS_KEY='))!;
    // Run the printed line as a shell would: it yields the secret from the owner-only file.
    const secret = execFileSync('sh', ['-c', `${exportLine.trim()}; printf %s "$AWS_SECRET_ACCESS_KEY"`], {
      encoding: 'utf8',
    });
    expect(secret).toBe(key!.secretAccessKey);
  });

  it('is not generated when keys are configured or authentication is off', async () => {
    for (const env of [
      { AUTH: 'off' },
      { CREDENTIALS_FILE: '/etc/longshore/credentials.json' },
      { ADMIN_ACCESS_KEY_ID: 'AKIAADMIN', ADMIN_SECRET_ACCESS_KEY: 'some-secret' },
    ]) {
      expect(await generatedAdminKey(loadConfig({ DATA_DIR: dataDir, ...env }), log)).toBeUndefined();
    }
    await expect(stat(dataDir)).rejects.toThrow();
  });
});

import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { AccessKey, LoginTokens, NamePattern } from '@longshore/auth';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { teamAKey, writeCredentialsFile } from '../support/credentials-file.js';
import { MiB } from '../support/layer-data.js';
import { startLongshore, type Longshore } from '../support/longshore-harness.js';
import { layoutBlobDigests, layoutDescriptor, ociMediaTypes, writeOciLayout } from '../support/oci-layout.js';
import { requireOsTool } from '../support/os-tools.js';
import { testAdminKey } from '../support/request-signing.js';
import { runProcess } from '../support/run-process.js';

const TOKEN_SECRET = 'registry-login-token-secret-tests';

/** A token as the service would have issued it `hoursAgo` hours ago (it lives 12 hours). */
async function adminTokenIssuedHoursAgoAsync(hoursAgo: number): Promise<string> {
  const admin = new AccessKey(testAdminKey.accessKeyId, testAdminKey.secretAccessKey, [
    { actions: [new NamePattern('*')], repositories: [new NamePattern('*')] },
  ]);
  return (await new LoginTokens(TOKEN_SECRET, 12 * 3600).issue(admin, Date.now() - hoursAgo * 3600_000)).token;
}

/** Tokens issued 1, 11 and 13 hours ago, by age in hours. */
const issuedHoursAgo = new Map(
  await Promise.all([1, 11, 13].map(async (hours) => [hours, await adminTokenIssuedHoursAgoAsync(hours)] as const)),
);
const adminTokenIssuedHoursAgo = (hoursAgo: number): string => issuedHoursAgo.get(hoursAgo)!;

const basic = (username: string, password: string) =>
  `Basic ${Buffer.from(`${username}:${password}`).toString('base64')}`;

describe('/v2 registry login: aws ecr get-login-password | skopeo login', () => {
  let longshore: Longshore;
  let skopeo: string;
  let work: string;
  let policy: string;
  let authfile: string;

  beforeAll(async () => {
    skopeo = await requireOsTool('skopeo');
    work = await mkdtemp(path.join(os.tmpdir(), 'longshore-login-'));
    const credentialsFile = await writeCredentialsFile(work, { keys: [teamAKey], anonymousPull: ['public/*'] });
    longshore = await startLongshore({ env: { CREDENTIALS_FILE: credentialsFile, AUTH_TOKEN_SECRET: TOKEN_SECRET } });
    policy = path.join(work, 'policy.json');
    authfile = path.join(work, 'auth.json');
    await writeFile(policy, JSON.stringify({ default: [{ type: 'insecureAcceptAnything' }] }));
  }, 300_000);
  afterAll(async () => {
    await longshore?.close();
    if (work) await rm(work, { recursive: true, force: true });
  });

  const registry = () => longshore.endpoint.replace(/^http:\/\//, '');
  const skopeoRun = (args: string[], stdin?: string) =>
    runProcess(skopeo, ['--policy', policy, '--tmpdir', work, ...args], { HOME: work, TMPDIR: work }, { stdin });
  const copy = (from: string, to: string) =>
    skopeoRun([
      'copy',
      '--quiet',
      '--src-tls-verify=false',
      '--dest-tls-verify=false',
      '--authfile',
      authfile,
      from,
      to,
    ]);

  it('logs in with the AWS CLI password, then pushes and pulls with identical digests', {
    timeout: 180_000,
  }, async () => {
    const password = await runProcess(
      '/usr/bin/aws',
      ['ecr', 'get-login-password', '--endpoint-url', longshore.endpoint],
      {
        AWS_ACCESS_KEY_ID: testAdminKey.accessKeyId,
        AWS_SECRET_ACCESS_KEY: testAdminKey.secretAccessKey,
        AWS_REGION: 'us-east-1',
      },
    );
    expect(password.code, password.stderr).toBe(0);
    const login = await skopeoRun(
      ['login', '--tls-verify=false', '--authfile', authfile, '--username', 'AWS', '--password-stdin', registry()],
      password.stdout,
    );
    expect(login.code, login.stderr).toBe(0);
    expect(login.stdout).toMatch(/Login Succeeded/);

    const source = path.join(work, 'image-in');
    const image = await writeOciLayout(source, 'v1', [{ architecture: 'amd64', os: 'linux', layerSizes: [2 * MiB] }]);
    const push = await copy(`oci:${source}:v1`, `docker://${registry()}/team-a/app:v1`);
    expect(push.code, push.stderr).toBe(0);
    const target = path.join(work, 'image-out');
    const pull = await copy(`docker://${registry()}/team-a/app:v1`, `oci:${target}:v1`);
    expect(pull.code, pull.stderr).toBe(0);
    expect((await layoutDescriptor(target, 'v1')).digest).toBe(image.digest);
    expect(await layoutBlobDigests(target)).toEqual(await layoutBlobDigests(source));
  });

  it.each([
    ['no credentials', undefined],
    ['an expired token', basic('AWS', adminTokenIssuedHoursAgo(13))],
    ['a forged token', basic('AWS', `${adminTokenIssuedHoursAgo(1).slice(0, -4)}AAAA`)],
    ['another username', basic('admin', adminTokenIssuedHoursAgo(1))],
  ])('answers %s with 401 UNAUTHORIZED and the Basic challenge', async (_case, authorization) => {
    const answer = await longshore.fetch(
      '/v2/team-a/app/manifests/v1',
      authorization ? { headers: { authorization } } : {},
      authorization ? undefined : 'anonymous',
    );
    expect(answer.status).toBe(401);
    expect(answer.headers.get('www-authenticate')).toBe(
      `Basic realm="${longshore.endpoint}/",service="ecr.amazonaws.com"`,
    );
    const body = (await answer.json()) as { errors: { code: string }[] };
    expect(body.errors[0]?.code).toBe('UNAUTHORIZED');
  });

  it('challenges the /v2/ ping without credentials, and answers it with a fresh token', async () => {
    expect((await longshore.fetch('/v2/', {}, 'anonymous')).status).toBe(401);
    expect((await longshore.fetch('/v2/')).status).toBe(200);
  });

  it('refuses skopeo login with a forged token', async () => {
    const login = await skopeoRun(
      [
        'login',
        '--tls-verify=false',
        '--authfile',
        path.join(work, 'forged.json'),
        '-u',
        'AWS',
        '--password-stdin',
        registry(),
      ],
      `${adminTokenIssuedHoursAgo(1).slice(0, -4)}AAAA`,
    );
    expect(login.code).not.toBe(0);
  });

  it('answers 403 DENIED when the key may not push to the repository', async () => {
    const started = await longshore.fetch('/v2/team-b/app/blobs/uploads/', { method: 'POST' }, { as: teamAKey });
    expect(started.status).toBe(403);
    const body = (await started.json()) as { errors: { code: string; message: string }[] };
    expect(body.errors[0]?.code).toBe('DENIED');
    expect(body.errors[0]?.message).toMatch(/not authorized to perform: ecr:InitiateLayerUpload/);
    expect((await longshore.fetch('/v2/team-a/app/blobs/uploads/', { method: 'POST' }, { as: teamAKey })).status).toBe(
      202,
    );
  });

  it('serves anonymous pulls of anonymousPull repositories, and nothing else', { timeout: 120_000 }, async () => {
    const source = path.join(work, 'public-in');
    const image = await writeOciLayout(source, 'v1', [{ architecture: 'amd64', os: 'linux', layerSizes: [64 * 1024] }]);
    const push = await skopeoRun([
      'copy',
      '--quiet',
      '--dest-tls-verify=false',
      '--dest-creds',
      `AWS:${await longshore.loginToken()}`,
      `oci:${source}:v1`,
      `docker://${registry()}/public/app:v1`,
    ]);
    expect(push.code, push.stderr).toBe(0);

    const manifest = await longshore.fetch(
      '/v2/public/app/manifests/v1',
      { headers: { Accept: ociMediaTypes.manifest } },
      'anonymous',
    );
    expect(manifest.status).toBe(200);
    expect(manifest.headers.get('docker-content-digest')).toBe(image.digest);
    const anonymousPull = await skopeoRun([
      'copy',
      '--quiet',
      '--src-tls-verify=false',
      '--src-no-creds',
      `docker://${registry()}/public/app:v1`,
      `oci:${path.join(work, 'public-out')}:v1`,
    ]);
    expect(anonymousPull.code, anonymousPull.stderr).toBe(0);

    expect((await longshore.fetch('/v2/public/app/blobs/uploads/', { method: 'POST' }, 'anonymous')).status).toBe(401);
    expect((await longshore.fetch('/v2/team-a/app/manifests/v1', {}, 'anonymous')).status).toBe(401);
    expect((await longshore.fetch('/v2/_catalog', {}, 'anonymous')).status).toBe(401);
  });
});

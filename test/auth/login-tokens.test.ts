import { randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { CreateRepositoryCommand, GetAuthorizationTokenCommand } from '@aws-sdk/client-ecr';
import { AccessKey, LoginTokens, NamePattern } from '@longshore/auth';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { teamAKey, writeCredentialsFile } from '../support/credentials-file.js';
import { ecrClient, startLongshore, type Longshore } from '../support/longshore-harness.js';
import { testAdminKey } from '../support/request-signing.js';

const TOKEN_SECRET = 'login-token-secret-for-the-tests';

/** A token as the service would have issued it `hoursAgo` hours ago (it lives 12 hours). */
async function tokenIssuedHoursAgoAsync(hoursAgo: number): Promise<string> {
  const admin = new AccessKey(testAdminKey.accessKeyId, testAdminKey.secretAccessKey, [
    { actions: [new NamePattern('*')], repositories: [new NamePattern('*')] },
  ]);
  return (await new LoginTokens(TOKEN_SECRET, 12 * 3600).issue(admin, Date.now() - hoursAgo * 3600_000)).token;
}

/** Tokens issued 1, 11 and 13 hours ago, by age in hours. */
const issuedHoursAgo = new Map(
  await Promise.all([1, 11, 13].map(async (hours) => [hours, await tokenIssuedHoursAgoAsync(hours)] as const)),
);
const tokenIssuedHoursAgo = (hoursAgo: number): string => issuedHoursAgo.get(hoursAgo)!;

describe('registry login tokens on /v1 (Bearer)', () => {
  let longshore: Longshore;
  let dir: string;
  let credentialsFile: string;
  const repositoryName = 'team-a/tokens';

  beforeAll(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'longshore-tokens-'));
    credentialsFile = await writeCredentialsFile(dir, { keys: [teamAKey] });
    longshore = await startLongshore({ env: { CREDENTIALS_FILE: credentialsFile, AUTH_TOKEN_SECRET: TOKEN_SECRET } });
    await longshore.ecr.send(new CreateRepositoryCommand({ repositoryName }));
  });
  afterAll(async () => {
    await longshore?.close();
    await rm(dir, { recursive: true, force: true });
  });

  const statusWith = (authorization: string | undefined) =>
    longshore.fetch(
      `/v1/uploads/${randomUUID()}`,
      authorization ? { headers: { authorization } } : {},
      authorization ? undefined : 'anonymous',
    );

  it('accepts a fresh token (the upload is simply unknown)', async () => {
    const answer = await statusWith(`Bearer ${tokenIssuedHoursAgo(11)}`);
    expect(answer.status).toBe(404);
    expect(((await answer.json()) as { error: { code: string } }).error.code).toBe('UPLOAD_NOT_FOUND');
  });

  it.each([
    ['no credentials', undefined, /Missing Authentication Token/],
    ['an expired token', `Bearer ${tokenIssuedHoursAgo(13)}`, /expired/],
    ['a forged token', `Bearer ${tokenIssuedHoursAgo(1).slice(0, -4)}AAAA`, /not valid/],
    ['garbage', 'Bearer not-a-token', /not valid/],
  ])('401 UNAUTHORIZED with a challenge for %s', async (_case, authorization, message) => {
    const answer = await statusWith(authorization);
    expect(answer.status).toBe(401);
    expect(answer.headers.get('www-authenticate')).toMatch(/^Bearer realm=/);
    const body = (await answer.json()) as { success: boolean; error: { code: string; message: string } };
    expect(body.success).toBe(false);
    expect(body.error.code).toBe('UNAUTHORIZED');
    expect(body.error.message).toMatch(message);
  });

  it('403 DENIED for a key that may not complete uploads in the repository', async () => {
    const answer = await longshore.fetch(
      `/v1/uploads/${randomUUID()}/complete`,
      {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ repositoryName: 'team-b/app', layerDigests: [`sha256:${'a'.repeat(64)}`] }),
      },
      { as: teamAKey },
    );
    expect(answer.status).toBe(403);
    const body = (await answer.json()) as { error: { code: string; message: string } };
    expect(body.error.code).toBe('DENIED');
    expect(body.error.message).toMatch(/not authorized to perform: ecr:CompleteLayerUpload/);
  });

  it('also accepts SigV4 on /v1', async () => {
    const { signRequest } = await import('../support/request-signing.js');
    const url = new URL(`${longshore.endpoint}/v1/uploads/${randomUUID()}`);
    const answer = await fetch(url, await signRequest(url, { method: 'GET' }, testAdminKey));
    expect(answer.status).toBe(404);
  });

  it('removing the key from the credentials file revokes its tokens', async () => {
    const token = await longshore.loginToken(teamAKey);
    expect((await statusWith(`Bearer ${token}`)).status).toBe(404);
    await writeCredentialsFile(dir, { keys: [] });
    // The file is watched; wait (bounded) until the service has re-read it.
    await expect
      .poll(async () => (await statusWith(`Bearer ${token}`)).status, { timeout: 15_000, interval: 200 })
      .toBe(401);
    const body = (await (await statusWith(`Bearer ${token}`)).json()) as { error: { message: string } };
    expect(body.error.message).toMatch(/no longer valid/);
  });
  it('putting a removed key back does not revive its old tokens (key generations)', async () => {
    // Copies: the SDK marks a credentials object it is given (`$source`), which must not reach the file.
    const { accessKeyId, secretAccessKey, allow } = teamAKey;
    const issue = async () => {
      const answer = await ecrClient(longshore.endpoint, 1, { accessKeyId, secretAccessKey }).send(
        new GetAuthorizationTokenCommand({}),
      );
      return Buffer.from(answer.authorizationData![0]!.authorizationToken!, 'base64').toString().slice('AWS:'.length);
    };
    await writeCredentialsFile(dir, { keys: [{ accessKeyId, secretAccessKey, allow }] });
    await expect.poll(() => issue().catch(() => undefined), { timeout: 15_000, interval: 200 }).toBeTruthy();
    const token = await issue();
    expect((await statusWith(`Bearer ${token}`)).status).toBe(404);

    await writeCredentialsFile(dir, { keys: [] });
    await expect
      .poll(async () => (await statusWith(`Bearer ${token}`)).status, { timeout: 15_000, interval: 200 })
      .toBe(401);
    await writeCredentialsFile(dir, { keys: [{ accessKeyId, secretAccessKey, allow }] });
    // The key is back: it is issued new tokens, which work...
    await expect.poll(() => issue().catch(() => undefined), { timeout: 15_000, interval: 200 }).toBeTruthy();
    expect((await statusWith(`Bearer ${await issue()}`)).status).toBe(404);
    // ...but the token it was given before it was removed stays dead.
    const answer = await statusWith(`Bearer ${token}`);
    expect(answer.status).toBe(401);
    expect(((await answer.json()) as { error: { message: string } }).error.message).toMatch(/no longer valid/);
  });
});

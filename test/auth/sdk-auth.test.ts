import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import {
  BatchCheckLayerAvailabilityCommand,
  CreateRepositoryCommand,
  DescribeRepositoriesCommand,
  ECRClient,
  ECRServiceException,
  GetAuthorizationTokenCommand,
  GetDownloadUrlForLayerCommand,
  InitiateLayerUploadCommand,
} from '@aws-sdk/client-ecr';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { teamAKey, writeCredentialsFile } from '../support/credentials-file.js';
import { MiB, pushLayer, randomLayer } from '../support/layer-data.js';
import { ecrClient, startLongshore, type Longshore } from '../support/longshore-harness.js';
import { httpStatusOf, rejectionOf } from '../support/rejection.js';
import { testAdminKey } from '../support/request-signing.js';

/** The SDK raises unmodeled AWS errors as ECRServiceException named by `__type`. */
async function awsError(promise: Promise<unknown>, name: string, status: number): Promise<ECRServiceException> {
  const error = await rejectionOf(promise, ECRServiceException);
  expect(error.name).toBe(name);
  expect(httpStatusOf(error)).toBe(status);
  return error;
}

/** A client whose requests lose their signature after the SDK signed them (no credentials on the wire). */
function unsignedClient(endpoint: string): ECRClient {
  const client = ecrClient(endpoint);
  client.middlewareStack.add(
    (next) => async (args) => {
      const headers = (args.request as { headers: Record<string, string> }).headers;
      delete headers.authorization;
      delete headers['x-amz-date'];
      return next(args);
    },
    { step: 'deserialize', name: 'dropSignature' },
  );
  return client;
}

/** A client whose signed body is changed in flight (the repository name swapped). */
function tamperingClient(endpoint: string): ECRClient {
  const client = ecrClient(endpoint);
  client.middlewareStack.add(
    (next) => async (args) => {
      const request = args.request as { body: string; headers: Record<string, string> };
      request.body = request.body.replace('team-a/', 'team-b/');
      request.headers['content-length'] = String(Buffer.byteLength(request.body));
      return next(args);
    },
    { step: 'deserialize', name: 'tamperBody' },
  );
  return client;
}

describe('SigV4 on the ECR API, with the AWS SDK for JavaScript', () => {
  let longshore: Longshore;
  let dir: string;

  beforeAll(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'longshore-auth-'));
    const credentialsFile = await writeCredentialsFile(dir, { keys: [teamAKey] });
    longshore = await startLongshore({ env: { CREDENTIALS_FILE: credentialsFile } });
    for (const repositoryName of ['team-a/app', 'team-b/app', 'team-c/app']) {
      await longshore.ecr.send(new CreateRepositoryCommand({ repositoryName }));
    }
  });
  afterAll(async () => {
    await longshore?.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('serves a correctly signed request', async () => {
    const answer = await longshore.ecr.send(new DescribeRepositoriesCommand({ repositoryNames: ['team-a/app'] }));
    expect(answer.repositories?.map((r) => r.repositoryName)).toEqual(['team-a/app']);
  });

  it('MissingAuthenticationTokenException (403) without credentials', async () => {
    const error = await awsError(
      unsignedClient(longshore.endpoint).send(new DescribeRepositoriesCommand({})),
      'MissingAuthenticationTokenException',
      403,
    );
    expect(error.message).toBe('Missing Authentication Token');
  });

  it('UnrecognizedClientException (403) for an unknown access key', async () => {
    const stranger = ecrClient(longshore.endpoint, 1, {
      accessKeyId: 'AKIAUNKNOWN000000000',
      secretAccessKey: 'whatever-secret',
    });
    await awsError(stranger.send(new DescribeRepositoriesCommand({})), 'UnrecognizedClientException', 403);
  });

  it('InvalidSignatureException (403) for a wrong secret', async () => {
    const wrong = ecrClient(longshore.endpoint, 1, {
      accessKeyId: testAdminKey.accessKeyId,
      secretAccessKey: 'not-the-secret',
    });
    const error = await awsError(wrong.send(new DescribeRepositoriesCommand({})), 'InvalidSignatureException', 403);
    expect(error.message).toMatch(/signature we calculated does not match/);
  });

  it('InvalidSignatureException for a body changed after signing, and nothing is created', async () => {
    await awsError(
      tamperingClient(longshore.endpoint).send(new CreateRepositoryCommand({ repositoryName: 'team-a/tampered' })),
      'InvalidSignatureException',
      403,
    );
    const described = await longshore.ecr.send(new DescribeRepositoriesCommand({}));
    const names = described.repositories?.map((r) => r.repositoryName);
    expect(names).not.toContain('team-b/tampered');
    expect(names).not.toContain('team-a/tampered');
  });

  it.each([
    ['16 minutes behind', -16, /Signature expired/],
    ['16 minutes ahead', 16, /Signature not yet current/],
  ])('InvalidSignatureException for a clock %s', async (_case, minutes, message) => {
    const skewed = new ECRClient({
      endpoint: longshore.endpoint,
      region: 'us-east-1',
      credentials: testAdminKey,
      maxAttempts: 1,
      systemClockOffset: minutes * 60_000,
    });
    const error = await awsError(skewed.send(new DescribeRepositoriesCommand({})), 'InvalidSignatureException', 403);
    expect(error.message).toMatch(message);
  });

  it('accepts a clock 14 minutes off', async () => {
    const skewed = new ECRClient({
      endpoint: longshore.endpoint,
      region: 'us-east-1',
      credentials: testAdminKey,
      maxAttempts: 1,
      systemClockOffset: -14 * 60_000,
    });
    await expect(
      skewed.send(new DescribeRepositoriesCommand({ repositoryNames: ['team-a/app'] })),
    ).resolves.toBeDefined();
  });

  it('GetAuthorizationToken: base64 of AWS:<token>, valid for 12 hours, with the proxy endpoint', async () => {
    const before = Date.now();
    const answer = await longshore.ecr.send(new GetAuthorizationTokenCommand({}));
    const data = answer.authorizationData?.[0];
    const decoded = Buffer.from(data?.authorizationToken ?? '', 'base64').toString('utf8');
    expect(decoded).toMatch(/^AWS:\S{40,}$/);
    expect(data?.proxyEndpoint).toBe(longshore.endpoint);
    const expiresAt = data?.expiresAt?.getTime() ?? 0;
    expect(expiresAt).toBeGreaterThanOrEqual(before + 12 * 3600_000 - 2000);
    expect(expiresAt).toBeLessThanOrEqual(Date.now() + 12 * 3600_000 + 2000);
  });

  describe('a key limited to team-a/* (and pulls from team-b/*)', () => {
    const teamA = () => ecrClient(longshore.endpoint, 1, teamAKey);

    it('pushes to team-a/app', async () => {
      const layer = randomLayer(2 * MiB);
      const completed = await pushLayer(teamA(), 'team-a/app', layer, 5 * MiB);
      expect(completed.layerDigest).toBe(layer.digest);
    });

    it('cannot push to team-b/app: AccessDeniedException naming the action and the repository', async () => {
      const error = await awsError(
        teamA().send(new InitiateLayerUploadCommand({ repositoryName: 'team-b/app' })),
        'AccessDeniedException',
        400,
      );
      expect(error.message).toBe(
        `User: arn:aws:iam::000000000000:user/${teamAKey.accessKeyId} is not authorized to perform: ecr:InitiateLayerUpload ` +
          'on resource: arn:aws:ecr:us-east-1:000000000000:repository/team-b/app because no identity-based policy allows the ecr:InitiateLayerUpload action',
      );
      await awsError(
        teamA().send(new CreateRepositoryCommand({ repositoryName: 'team-b/new' })),
        'AccessDeniedException',
        400,
      );
    });

    it('pulls from team-b/app, where it is allowed to, but not from team-c/app', async () => {
      const layer = randomLayer(1 * MiB);
      await pushLayer(longshore.ecr, 'team-b/app', layer, 5 * MiB);
      const check = await teamA().send(
        new BatchCheckLayerAvailabilityCommand({ repositoryName: 'team-b/app', layerDigests: [layer.digest] }),
      );
      expect(check.layers?.[0]?.layerAvailability).toBe('AVAILABLE');
      const { downloadUrl } = await teamA().send(
        new GetDownloadUrlForLayerCommand({ repositoryName: 'team-b/app', layerDigest: layer.digest }),
      );
      const downloaded = Buffer.from(await (await fetch(downloadUrl!)).arrayBuffer());
      expect(downloaded.equals(layer.bytes)).toBe(true);

      await awsError(
        teamA().send(new GetDownloadUrlForLayerCommand({ repositoryName: 'team-c/app', layerDigest: layer.digest })),
        'AccessDeniedException',
        400,
      );
    });

    it('lists only the repositories it may describe', async () => {
      const listed = await teamA().send(new DescribeRepositoriesCommand({}));
      expect(listed.repositories?.map((r) => r.repositoryName)).toEqual(['team-a/app']);
      await awsError(
        teamA().send(new DescribeRepositoriesCommand({ repositoryNames: ['team-a/app', 'team-b/app'] })),
        'AccessDeniedException',
        400,
      );
    });
  });
});

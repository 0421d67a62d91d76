import { randomUUID } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import {
  BatchGetImageCommand,
  CreateRepositoryCommand,
  DescribeImagesCommand,
  DescribeRepositoriesCommand,
  InitiateLayerUploadCommand,
  InvalidParameterException,
} from '@aws-sdk/client-ecr';
import { Hash } from '@smithy/hash-node';
import { SignatureV4 } from '@smithy/signature-v4';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type KeyEntry, teamAKey, writeCredentialsFile } from '../support/credentials-file.js';
import { OCI_MANIFEST, pushImageBlobs } from '../support/image-data.js';
import { ecrClient, startLongshore, type Longshore } from '../support/longshore-harness.js';
import { requireOsTool } from '../support/os-tools.js';
import { rejectionOf } from '../support/rejection.js';
import { testAdminKey } from '../support/request-signing.js';
import { runProcess } from '../support/run-process.js';

/** Everything on team-b/*, nothing elsewhere. */
const teamBKey: KeyEntry = {
  accessKeyId: 'AKIATEAMBEXAMPLE0002',
  secretAccessKey: 'team-b-secret-access-key-0000000000000002',
  allow: [
    { actions: ['ecr:*'], repositories: ['team-b/*'] },
    { actions: ['ecr:GetAuthorizationToken'], repositories: ['*'] },
  ],
};
const repositories = ['public/app', 'team-a/app', 'team-a/web', 'team-b/app', 'team-c/app', 'team-c/zzz'];

describe('what a key cannot see (issue 15)', () => {
  let longshore: Longshore;
  let dir: string;
  const teamA = () => ecrClient(longshore.endpoint, 1, teamAKey);
  const teamB = () => ecrClient(longshore.endpoint, 1, teamBKey);

  beforeAll(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'longshore-boundaries-'));
    const credentialsFile = await writeCredentialsFile(dir, {
      keys: [teamAKey, teamBKey],
      anonymousPull: ['public/*'],
    });
    longshore = await startLongshore({ env: { CREDENTIALS_FILE: credentialsFile } });
    for (const repositoryName of repositories) {
      await longshore.ecr.send(new CreateRepositoryCommand({ repositoryName }));
    }
  });
  afterAll(async () => {
    await longshore?.close();
    await rm(dir, { recursive: true, force: true });
  });

  /** Pushes a small image to `repositoryName` as `tag` (blobs through ECR, the manifest through /v2). */
  async function pushImage(repositoryName: string, tag: string) {
    const image = await pushImageBlobs(longshore.ecr, repositoryName);
    const put = await longshore.fetch(`/v2/${repositoryName}/manifests/${tag}`, {
      method: 'PUT',
      headers: { 'content-type': OCI_MANIFEST },
      body: image.manifest,
    });
    expect(put.status).toBe(201);
    return image;
  }

  describe('1. DescribeRepositories pages only what the key may describe, with opaque tokens', () => {
    it('pages one at a time through team-a/* only; tokens name nothing and work for no other key', async () => {
      const seen: string[] = [];
      const tokens: string[] = [];
      let nextToken: string | undefined;
      do {
        const page = await teamA().send(new DescribeRepositoriesCommand({ maxResults: 1, nextToken }));
        expect(page.repositories).toHaveLength(1);
        seen.push(...(page.repositories ?? []).map((r) => r.repositoryName!));
        nextToken = page.nextToken;
        if (nextToken) tokens.push(nextToken);
      } while (nextToken);
      expect(seen).toEqual(['team-a/app', 'team-a/web']);
      expect(tokens).toHaveLength(1);
      for (const token of tokens) {
        for (const encoding of ['base64', 'base64url'] as const) {
          expect(Buffer.from(token, encoding).toString('latin1')).not.toMatch(/team-|public/);
        }
      }

      // Another key presenting team-a's token, and a token changed by one character, are refused.
      const foreign = await rejectionOf(
        teamB().send(new DescribeRepositoriesCommand({ maxResults: 1, nextToken: tokens[0] })),
        InvalidParameterException,
      );
      expect(foreign.message).toMatch(/nextToken/);
      const token = tokens[0]!;
      const tampered = `${token.slice(0, 10)}${token[10] === 'A' ? 'B' : 'A'}${token.slice(11)}`;
      await rejectionOf(
        teamA().send(new DescribeRepositoriesCommand({ maxResults: 1, nextToken: tampered })),
        InvalidParameterException,
      );
      // A token made the old way (base64 of a name) is no token.
      await rejectionOf(
        teamA().send(
          new DescribeRepositoriesCommand({
            maxResults: 1,
            nextToken: Buffer.from('team-b/app').toString('base64url'),
          }),
        ),
        InvalidParameterException,
      );
    });
  });

  describe('2. /v2/_catalog lists only what the caller may pull', () => {
    const catalog = async (as: KeyEntry | undefined, query = '') => {
      const answer = await longshore.fetch(`/v2/_catalog${query}`, {}, as ? { as } : undefined);
      expect(answer.status).toBe(200);
      return { body: (await answer.json()) as { repositories: string[] }, link: answer.headers.get('link') };
    };

    it('shows team-a its own, the team-b ones it may pull, and the public ones; the admin everything', async () => {
      expect((await catalog(teamAKey)).body.repositories).toEqual([
        'public/app',
        'team-a/app',
        'team-a/web',
        'team-b/app',
      ]);
      expect((await catalog(teamBKey)).body.repositories).toEqual(['public/app', 'team-b/app']);
      expect((await catalog(undefined)).body.repositories).toEqual(repositories);
    });

    it('pages after filtering: the Link never names a repository the caller may not pull', async () => {
      const first = await catalog(teamBKey, '?n=1');
      expect(first.body.repositories).toEqual(['public/app']);
      expect(first.link).toContain('last=public%2Fapp');
      const second = await catalog(teamBKey, '?n=1&last=public%2Fapp');
      expect(second.body.repositories).toEqual(['team-b/app']);
      expect(second.link).toBeNull();
    });
  });

  describe('3. every x-amz-* header must be signed', () => {
    /** A request signed as the SDK would, except that `x-amz-target` is left out of the signature. */
    async function signedWithoutTarget(body: string, target: string, sentTarget: string) {
      const url = new URL(`${longshore.endpoint}/`);
      const signer = new SignatureV4({
        service: 'ecr',
        region: 'us-east-1',
        credentials: testAdminKey,
        sha256: Hash.bind(null, 'sha256'),
        applyChecksum: false,
      });
      const signed = await signer.sign(
        {
          method: 'POST',
          protocol: 'http:',
          hostname: url.hostname,
          port: Number(url.port),
          path: '/',
          query: {},
          headers: {
            host: url.host,
            'content-type': 'application/x-amz-json-1.1',
            'x-amz-target': `AmazonEC2ContainerRegistry_V20150921.${target}`,
          },
          body,
        },
        { unsignableHeaders: new Set(['x-amz-target']) },
      );
      const { host: _host, ...headers } = signed.headers as Record<string, string>;
      expect(headers.authorization).toMatch(/SignedHeaders=content-type;host;x-amz-date,/);
      headers['x-amz-target'] = `AmazonEC2ContainerRegistry_V20150921.${sentTarget}`;
      return longshore.fetch('/', { method: 'POST', headers, body });
    }

    it('refuses DescribeImages signed without its target and sent as BatchDeleteImage; the tag stays', async () => {
      await pushImage('team-a/app', 'keep');
      const body = JSON.stringify({ repositoryName: 'team-a/app', imageIds: [{ imageTag: 'keep' }] });
      const swapped = await signedWithoutTarget(body, 'DescribeImages', 'BatchDeleteImage');
      expect(swapped.status).toBe(403);
      expect(swapped.headers.get('x-amzn-errortype')).toBe('InvalidSignatureException');
      expect(((await swapped.json()) as { message: string }).message).toMatch(/x-amz-target/);
      const described = await longshore.ecr.send(
        new DescribeImagesCommand({ repositoryName: 'team-a/app', imageIds: [{ imageTag: 'keep' }] }),
      );
      expect(described.imageDetails?.[0]?.imageTags).toContain('keep');
    });
  });

  describe('6. a key may do what anonymous callers may', () => {
    let skopeo: string;

    beforeAll(async () => {
      skopeo = await requireOsTool('skopeo');
      await pushImage('public/app', 'v1');
    });

    it('team-b (no grant on public/*) pulls public/app with skopeo, logged in, as it can without credentials', async () => {
      const registry = longshore.endpoint.replace(/^http:\/\//, '');
      const work = await mkdtemp(path.join(os.tmpdir(), 'longshore-public-'));
      try {
        const policy = path.join(work, 'policy.json');
        await writeFile(policy, JSON.stringify({ default: [{ type: 'insecureAcceptAnything' }] }));
        const inspect = (credentials: string[]) =>
          runProcess(
            skopeo,
            [
              '--policy',
              policy,
              'inspect',
              '--raw',
              '--tls-verify=false',
              ...credentials,
              `docker://${registry}/public/app:v1`,
            ],
            { HOME: work, TMPDIR: work },
          );
        const anonymous = await inspect(['--no-creds']);
        expect(anonymous.code, anonymous.stderr).toBe(0);
        const loggedIn = await inspect(['--creds', `AWS:${await longshore.loginToken(teamBKey)}`]);
        expect(loggedIn.code, loggedIn.stderr).toBe(0);
        expect(loggedIn.stdout).toBe(anonymous.stdout);
      } finally {
        await rm(work, { recursive: true, force: true });
      }
    });

    it('through the ECR API too: BatchGetImage on public/app, but still no push', async () => {
      const got = await teamB().send(
        new BatchGetImageCommand({ repositoryName: 'public/app', imageIds: [{ imageTag: 'v1' }] }),
      );
      expect(got.images).toHaveLength(1);
      const denied = await teamB()
        .send(new InitiateLayerUploadCommand({ repositoryName: 'public/app' }))
        .catch((err: Error) => err);
      expect((denied as Error).name).toBe('AccessDeniedException');
    });
  });

  describe('8. smaller leaks', () => {
    it("another team's upload id on /v1 is answered as an unknown one, naming no repository", async () => {
      const { uploadId } = await teamB().send(new InitiateLayerUploadCommand({ repositoryName: 'team-b/app' }));
      const unknownId = randomUUID();
      for (const [method, suffix] of [
        ['GET', ''],
        ['PUT', '/parts'],
      ] as const) {
        const init: RequestInit = {
          method,
          ...(method === 'PUT'
            ? { headers: { 'content-range': 'bytes 0-3/*', 'content-type': 'application/octet-stream' }, body: 'abcd' }
            : {}),
        };
        const foreign = await longshore.fetch(`/v1/uploads/${uploadId}${suffix}`, init, { as: teamAKey });
        const unknown = await longshore.fetch(`/v1/uploads/${unknownId}${suffix}`, init, { as: teamAKey });
        expect(foreign.status).toBe(404);
        expect(unknown.status).toBe(404);
        const foreignBody = (await foreign.json()) as { error: { code: string; message: string } };
        const unknownBody = (await unknown.json()) as { error: { code: string; message: string } };
        expect(foreignBody.error.code).toBe('UPLOAD_NOT_FOUND');
        expect(foreignBody.error.message).not.toContain('team-b');
        expect(foreignBody.error.message.replace(uploadId!, 'ID')).toBe(
          unknownBody.error.message.replace(unknownId, 'ID'),
        );
      }
    });

    it('a forged login token is answered the same whether its key id exists or not', async () => {
      const genuine = await longshore.loginToken(teamAKey);
      const [version, payload, mac] = genuine.split('.');
      const claims = JSON.parse(Buffer.from(payload!, 'base64url').toString('utf8')) as Record<string, unknown>;
      const forge = (accessKeyId: string) =>
        `${version}.${Buffer.from(JSON.stringify({ ...claims, k: accessKeyId })).toString('base64url')}.${mac}`;
      const answers = [];
      for (const accessKeyId of [teamBKey.accessKeyId, 'AKIANOSUCHKEY0000000']) {
        const answer = await longshore.fetch('/v2/team-b/app/tags/list', {
          headers: { authorization: `Basic ${Buffer.from(`AWS:${forge(accessKeyId)}`).toString('base64')}` },
        });
        answers.push({ status: answer.status, body: await answer.text() });
      }
      expect(answers[0]!.status).toBe(401);
      expect(answers[1]).toEqual(answers[0]);
    });
  });
});

import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  CreatePullThroughCacheRuleCommand,
  DeletePullThroughCacheRuleCommand,
  DescribePullThroughCacheRulesCommand,
  InvalidParameterException,
  PullThroughCacheRuleAlreadyExistsException,
  PullThroughCacheRuleNotFoundException,
  SecretNotFoundException,
  UnsupportedUpstreamRegistryException,
  UpdatePullThroughCacheRuleCommand,
  ValidatePullThroughCacheRuleCommand,
} from '@aws-sdk/client-ecr';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runBotocoreDriver } from '../support/run-botocore-driver.js';
import { notRunGate } from '../support/not-run.js';
import { startLongshore, type Longshore } from '../support/longshore-harness.js';
import {
  freePort,
  startUpstreamRegistry,
  type UpstreamRegistry,
  upstreamRegistryBinary,
} from '../support/upstream-registry.js';

const ecrModel = path.join(
  path.dirname(fileURLToPath(import.meta.url)),
  '..',
  '..',
  'packages/domain/src/ecr-api-model.json',
);
const arn = 'arn:aws:secretsmanager:us-east-1:123456789012:secret:ecr-pullthroughcache/rules-test';

interface Caught {
  code: string | null;
  httpStatus?: number;
  isModeledClass?: boolean;
}

// The five rule operations through the AWS SDK for JavaScript and botocore, with the shapes and
// errors of the ECR model; ValidatePullThroughCacheRule asks a real registry-3.
describe('pull-through cache rule operations', () => {
  let longshore: Longshore;
  let upstream: UpstreamRegistry;
  let work: string;

  /** Without registry-3 (ValidatePullThroughCacheRule asks it) the file says so instead of running. */
  const gate = notRunGate('pull-through cache rules');

  beforeAll(async () => {
    const tool = await upstreamRegistryBinary();
    if (tool.path === undefined) {
      gate.absent(tool.absent);
      return;
    }
    work = await mkdtemp(path.join(os.tmpdir(), 'longshore-ptc-rules-'));
    const credentialsFile = path.join(work, 'upstream-credentials.json');
    await writeFile(credentialsFile, JSON.stringify({ [arn]: { username: 'u', accessToken: 'secret-value' } }));
    upstream = await startUpstreamRegistry();
    longshore = await startLongshore({ env: { UPSTREAM_CREDENTIALS_FILE: credentialsFile } });
  }, 120_000);
  afterAll(async () => {
    await longshore?.close();
    await upstream?.stop();
    if (work) await rm(work, { recursive: true, force: true });
  });

  it('creates, describes, validates, updates and deletes a rule (AWS SDK)', async ({ annotate }) => {
    if (await gate.notRun({ annotate })) return;
    const upstreamRegistryUrl = `http://${upstream.host}`;
    const created = await longshore.ecr.send(
      new CreatePullThroughCacheRuleCommand({
        ecrRepositoryPrefix: 'docker-hub/',
        upstreamRegistryUrl,
        upstreamRegistry: 'docker-hub',
        upstreamRepositoryPrefix: 'library',
      }),
    );
    expect(created).toMatchObject({
      ecrRepositoryPrefix: 'docker-hub',
      upstreamRegistryUrl,
      upstreamRegistry: 'docker-hub',
      upstreamRepositoryPrefix: 'library',
      registryId: longshore.config.registryId,
    });
    expect(created.createdAt).toBeInstanceOf(Date);

    const described = await longshore.ecr.send(
      new DescribePullThroughCacheRulesCommand({ ecrRepositoryPrefixes: ['docker-hub'] }),
    );
    expect(described.pullThroughCacheRules?.map((r) => [r.ecrRepositoryPrefix, r.upstreamRegistryUrl])).toEqual([
      ['docker-hub', upstreamRegistryUrl],
    ]);

    const valid = await longshore.ecr.send(
      new ValidatePullThroughCacheRuleCommand({ ecrRepositoryPrefix: 'docker-hub' }),
    );
    expect(valid).toMatchObject({ isValid: true, upstreamRegistryUrl });

    const updated = await longshore.ecr.send(
      new UpdatePullThroughCacheRuleCommand({ ecrRepositoryPrefix: 'docker-hub', credentialArn: arn }),
    );
    expect(updated).toMatchObject({ ecrRepositoryPrefix: 'docker-hub', credentialArn: arn });
    expect(updated.updatedAt).toBeInstanceOf(Date);

    const deleted = await longshore.ecr.send(
      new DeletePullThroughCacheRuleCommand({ ecrRepositoryPrefix: 'docker-hub' }),
    );
    expect(deleted).toMatchObject({ ecrRepositoryPrefix: 'docker-hub', credentialArn: arn, upstreamRegistryUrl });
    const after = await longshore.ecr.send(new DescribePullThroughCacheRulesCommand({}));
    expect(after.pullThroughCacheRules?.map((r) => r.ecrRepositoryPrefix)).not.toContain('docker-hub');
  });

  it('pages DescribePullThroughCacheRules in prefix order', async ({ annotate }) => {
    if (await gate.notRun({ annotate })) return;
    for (const p of ['page-c', 'page-a', 'page-b']) {
      await longshore.ecr.send(
        new CreatePullThroughCacheRuleCommand({ ecrRepositoryPrefix: p, upstreamRegistryUrl: 'registry.example' }),
      );
    }
    const first = await longshore.ecr.send(new DescribePullThroughCacheRulesCommand({ maxResults: 2 }));
    const second = await longshore.ecr.send(
      new DescribePullThroughCacheRulesCommand({ maxResults: 2, nextToken: first.nextToken }),
    );
    const names = [...(first.pullThroughCacheRules ?? []), ...(second.pullThroughCacheRules ?? [])]
      .map((r) => r.ecrRepositoryPrefix)
      .filter((p) => p?.startsWith('page-'));
    expect(names).toEqual(['page-a', 'page-b', 'page-c']);
    expect(second.nextToken).toBeUndefined();
  });

  it('answers each error as its modeled exception (AWS SDK)', async ({ annotate }) => {
    if (await gate.notRun({ annotate })) return;
    await longshore.ecr.send(
      new CreatePullThroughCacheRuleCommand({ ecrRepositoryPrefix: 'errors', upstreamRegistryUrl: 'ghcr.io' }),
    );
    await expect(
      longshore.ecr.send(
        new CreatePullThroughCacheRuleCommand({ ecrRepositoryPrefix: 'errors', upstreamRegistryUrl: 'ghcr.io' }),
      ),
    ).rejects.toBeInstanceOf(PullThroughCacheRuleAlreadyExistsException);
    for (const upstreamRegistryUrl of [
      'ftp://example.com',
      'https://example.com/some/path',
      'https://user:pw@example.com',
    ]) {
      await expect(
        longshore.ecr.send(
          new CreatePullThroughCacheRuleCommand({ ecrRepositoryPrefix: 'unsupported', upstreamRegistryUrl }),
        ),
        upstreamRegistryUrl,
      ).rejects.toBeInstanceOf(UnsupportedUpstreamRegistryException);
    }
    await expect(
      longshore.ecr.send(
        new CreatePullThroughCacheRuleCommand({
          ecrRepositoryPrefix: 'secretless',
          upstreamRegistryUrl: 'ghcr.io',
          credentialArn: `${arn}-absent`,
        }),
      ),
    ).rejects.toBeInstanceOf(SecretNotFoundException);
    await expect(
      longshore.ecr.send(
        new CreatePullThroughCacheRuleCommand({ ecrRepositoryPrefix: 'X', upstreamRegistryUrl: 'ghcr.io' }),
      ),
    ).rejects.toBeInstanceOf(InvalidParameterException);
    await expect(
      longshore.ecr.send(
        new CreatePullThroughCacheRuleCommand({
          ecrRepositoryPrefix: 'other-registry',
          upstreamRegistryUrl: 'ghcr.io',
          registryId: '999999999999',
        }),
      ),
    ).rejects.toBeInstanceOf(InvalidParameterException);
    for (const command of [
      new DescribePullThroughCacheRulesCommand({ ecrRepositoryPrefixes: ['absent'] }),
      new UpdatePullThroughCacheRuleCommand({ ecrRepositoryPrefix: 'absent', credentialArn: arn }),
      new DeletePullThroughCacheRuleCommand({ ecrRepositoryPrefix: 'absent' }),
      new ValidatePullThroughCacheRuleCommand({ ecrRepositoryPrefix: 'absent' }),
    ]) {
      await expect(longshore.ecr.send(command as never), command.constructor.name).rejects.toBeInstanceOf(
        PullThroughCacheRuleNotFoundException,
      );
    }
  });

  it('validates a rule whose upstream does not answer as invalid, with the reason', async ({ annotate }) => {
    if (await gate.notRun({ annotate })) return;
    const closedPort = await freePort();
    await longshore.ecr.send(
      new CreatePullThroughCacheRuleCommand({
        ecrRepositoryPrefix: 'nowhere',
        upstreamRegistryUrl: `http://127.0.0.1:${closedPort}`,
      }),
    );
    const answer = await longshore.ecr.send(
      new ValidatePullThroughCacheRuleCommand({ ecrRepositoryPrefix: 'nowhere' }),
    );
    expect(answer.isValid).toBe(false);
    expect(answer.failure).toMatch(/unreachable/);
  });

  it('raises the modeled exception classes in botocore', { timeout: 120_000 }, async ({ annotate }) => {
    if (await gate.notRun({ annotate })) return;
    const results = await runBotocoreDriver<{
      created: { prefix: string; hasCreatedAt: boolean };
      described: string[];
      validated: boolean;
      updatedCredential: string;
      deleted: string;
      PullThroughCacheRuleAlreadyExistsException: Caught;
      UnsupportedUpstreamRegistryException: Caught;
      SecretNotFoundException: Caught;
      InvalidParameterException: Caught;
      PullThroughCacheRuleNotFoundException: Record<string, Caught>;
    }>('botocore-pull-through-rules.py', [longshore.endpoint, 'boto/cache', `http://${upstream.host}`, arn, ecrModel]);
    expect(results).toMatchObject({
      created: { prefix: 'boto/cache', hasCreatedAt: true },
      described: ['boto/cache'],
      validated: true,
      updatedCredential: arn,
      deleted: 'boto/cache',
    });
    for (const name of [
      'PullThroughCacheRuleAlreadyExistsException',
      'UnsupportedUpstreamRegistryException',
      'SecretNotFoundException',
      'InvalidParameterException',
    ] as const) {
      expect(results[name], name).toEqual({ code: name, httpStatus: 400, isModeledClass: true });
    }
    for (const [operation, caught] of Object.entries(results.PullThroughCacheRuleNotFoundException)) {
      expect(caught, operation).toEqual({
        code: 'PullThroughCacheRuleNotFoundException',
        httpStatus: 400,
        isModeledClass: true,
      });
    }
  });
});

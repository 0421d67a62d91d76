import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import {
  CreateRepositoryCommand,
  DeleteLifecyclePolicyCommand,
  GetLifecyclePolicyCommand,
  GetLifecyclePolicyPreviewCommand,
  InvalidParameterException,
  LifecyclePolicyNotFoundException,
  LifecyclePolicyPreviewInProgressException,
  LifecyclePolicyPreviewNotFoundException,
  ListImagesCommand,
  PutImageCommand,
  PutLifecyclePolicyCommand,
  RepositoryNotFoundException,
  StartLifecyclePolicyPreviewCommand,
  type ECRClient,
} from '@aws-sdk/client-ecr';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { imageManifest, pushImageBlobs, type PushedImage } from '../support/image-data.js';
import { digestOf } from '../support/layer-data.js';
import { startCallbackReceiver, type CallbackReceiver } from '../support/callback-receiver.js';
import { startLongshore, type Longshore } from '../support/longshore-harness.js';
import { rejectionOf } from '../support/rejection.js';

const DAY_MS = 86_400_000;
const REGISTRY_ID = '000000000000';

const policyText = (rules: unknown[]) => JSON.stringify({ rules }, null, 2);
const untaggedOlderThan = (days: number, priority = 1) => ({
  rulePriority: priority,
  description: 'Expire untagged images',
  selection: { tagStatus: 'untagged', countType: 'sinceImagePushed', countUnit: 'days', countNumber: days },
  action: { type: 'expire' },
});
const keepNewest = (tagStatus: string, n: number, priority: number, extra: Record<string, unknown> = {}) => ({
  rulePriority: priority,
  description: `Keep the ${n} newest`,
  selection: { tagStatus, ...extra, countType: 'imageCountMoreThan', countNumber: n },
  action: { type: 'expire' },
});

describe('lifecycle policies with the AWS SDK', () => {
  let longshore: Longshore;
  let ecr: ECRClient;
  let receiver: CallbackReceiver;
  let clockDir: string;
  let clockFile: string;
  let seq = 0;

  /** Moves the services' clock: they read CLOCK_OFFSET_FILE on every look at the time. */
  const moveClock = (offsetMs: number) => writeFile(clockFile, String(offsetMs));

  async function repository(): Promise<{ repositoryName: string; blobs: PushedImage }> {
    seq += 1;
    const repositoryName = `lifecycle/repo${seq}`;
    await ecr.send(new CreateRepositoryCommand({ repositoryName }));
    return { repositoryName, blobs: await pushImageBlobs(ecr, repositoryName) };
  }

  /** Puts a distinct image (same blobs, its own annotation) and answers its digest. */
  async function putImage(repositoryName: string, blobs: PushedImage, name: string, tag?: string): Promise<string> {
    const manifest = imageManifest(blobs.config, blobs.layers, { annotations: { name } });
    await ecr.send(new PutImageCommand({ repositoryName, imageManifest: manifest, ...(tag ? { imageTag: tag } : {}) }));
    return digestOf(Buffer.from(manifest));
  }

  const listed = async (repositoryName: string) =>
    ((await ecr.send(new ListImagesCommand({ repositoryName }))).imageIds ?? []).map((i) => i.imageDigest!).sort();

  beforeAll(async () => {
    receiver = await startCallbackReceiver();
    clockDir = await mkdtemp(path.join(os.tmpdir(), 'longshore-clock-'));
    clockFile = path.join(clockDir, 'offset');
    await writeFile(clockFile, '0');
    longshore = await startLongshore({
      env: {
        CLOCK_OFFSET_FILE: clockFile,
        LIFECYCLE_INTERVAL_SECONDS: '1',
        // Expiries go two at a time, each batch followed by a rest: an evaluation of several
        // batches still expires each image once, with one DELETE event each.
        LIFECYCLE_DELETE_BATCH: '2',
        LIFECYCLE_DUTY_PERCENT: '50',
        EVENTS_WEBHOOK_URL: `${receiver.baseUrl}events`,
      },
    });
    ecr = longshore.ecr;
  });
  afterAll(async () => {
    await longshore?.close();
    await receiver?.close();
    if (clockDir) await rm(clockDir, { recursive: true, force: true });
  });

  it('puts, gets and deletes a policy; each operation answers the ECR errors', async () => {
    const { repositoryName } = await repository();
    const text = policyText([untaggedOlderThan(14)]);
    await rejectionOf(ecr.send(new GetLifecyclePolicyCommand({ repositoryName })), LifecyclePolicyNotFoundException);
    await rejectionOf(ecr.send(new DeleteLifecyclePolicyCommand({ repositoryName })), LifecyclePolicyNotFoundException);
    await rejectionOf(
      ecr.send(new PutLifecyclePolicyCommand({ repositoryName: 'lifecycle/missing', lifecyclePolicyText: text })),
      RepositoryNotFoundException,
    );
    // Too short for the model (100 characters at least), and invalid by ECR's policy rules.
    await rejectionOf(
      ecr.send(new PutLifecyclePolicyCommand({ repositoryName, lifecyclePolicyText: '{"rules":[]}' })),
      InvalidParameterException,
    );
    const duplicate = await rejectionOf(
      ecr.send(
        new PutLifecyclePolicyCommand({
          repositoryName,
          lifecyclePolicyText: policyText([untaggedOlderThan(1, 1), untaggedOlderThan(2, 1)]),
        }),
      ),
      InvalidParameterException,
    );
    expect(duplicate.message).toMatch(/rulePriority 1 is used by more than one rule/);

    const put = await ecr.send(new PutLifecyclePolicyCommand({ repositoryName, lifecyclePolicyText: text }));
    expect(put).toMatchObject({ registryId: REGISTRY_ID, repositoryName, lifecyclePolicyText: text });
    const got = await ecr.send(new GetLifecyclePolicyCommand({ repositoryName }));
    expect(got).toMatchObject({ registryId: REGISTRY_ID, repositoryName, lifecyclePolicyText: text });
    const deleted = await ecr.send(new DeleteLifecyclePolicyCommand({ repositoryName }));
    expect(deleted.lifecyclePolicyText).toBe(text);
    await rejectionOf(ecr.send(new GetLifecyclePolicyCommand({ repositoryName })), LifecyclePolicyNotFoundException);
  });

  it('previews what a policy would expire, rule by rule, and expires nothing', async () => {
    const { repositoryName, blobs } = await repository();
    await rejectionOf(
      ecr.send(new GetLifecyclePolicyPreviewCommand({ repositoryName })),
      LifecyclePolicyPreviewNotFoundException,
    );
    await rejectionOf(
      ecr.send(new StartLifecyclePolicyPreviewCommand({ repositoryName })),
      LifecyclePolicyNotFoundException,
    );
    const builds: string[] = [];
    for (let i = 1; i <= 4; i++) builds.push(await putImage(repositoryName, blobs, `build-${i}`, `build-${i}`));
    const untagged: string[] = [];
    for (let i = 1; i <= 3; i++) untagged.push(await putImage(repositoryName, blobs, `untagged-${i}`));
    const before = await listed(repositoryName);

    const text = policyText([keepNewest('tagged', 2, 1, { tagPatternList: ['build-*'] }), keepNewest('any', 1, 2)]);
    const started = await ecr.send(
      new StartLifecyclePolicyPreviewCommand({ repositoryName, lifecyclePolicyText: text }),
    );
    expect(started).toMatchObject({ repositoryName, lifecyclePolicyText: text, status: 'IN_PROGRESS' });
    await vi.waitFor(
      async () =>
        expect((await ecr.send(new GetLifecyclePolicyPreviewCommand({ repositoryName }))).status).toBe('COMPLETE'),
      20_000,
    );
    const preview = await ecr.send(new GetLifecyclePolicyPreviewCommand({ repositoryName }));
    // Rule 1 keeps build-4 and build-3; rule 2 sees only the untagged ones and keeps the newest.
    expect(
      preview.previewResults?.map((r) => [r.imageDigest, r.imageTags ?? [], r.action?.type, r.appliedRulePriority]),
    ).toEqual([
      [builds[1], ['build-2'], 'EXPIRE', 1],
      [builds[0], ['build-1'], 'EXPIRE', 1],
      [untagged[1], [], 'EXPIRE', 2],
      [untagged[0], [], 'EXPIRE', 2],
    ]);
    expect(preview.summary?.expiringImageTotalCount).toBe(4);
    expect(preview.previewResults?.every((r) => r.imagePushedAt instanceof Date)).toBe(true);
    const untaggedOnly = await ecr.send(
      new GetLifecyclePolicyPreviewCommand({ repositoryName, filter: { tagStatus: 'UNTAGGED' } }),
    );
    expect(untaggedOnly.previewResults?.map((r) => r.imageDigest)).toEqual([untagged[1], untagged[0]]);
    const paged = await ecr.send(new GetLifecyclePolicyPreviewCommand({ repositoryName, maxResults: 3 }));
    expect(paged.previewResults).toHaveLength(3);
    const rest = await ecr.send(
      new GetLifecyclePolicyPreviewCommand({ repositoryName, maxResults: 3, nextToken: paged.nextToken! }),
    );
    expect(rest.previewResults?.map((r) => r.imageDigest)).toEqual([untagged[0]]);
    expect(rest.nextToken).toBeUndefined();
    expect(await listed(repositoryName)).toEqual(before);

    // Another preview of the repository is running (as another API instance would mark it).
    const redis = longshore.connectRedis();
    try {
      await redis.set(longshore.keys.lifecycle(repositoryName).previewRunning, '1', 'PX', 60_000);
      await rejectionOf(
        ecr.send(new StartLifecyclePolicyPreviewCommand({ repositoryName, lifecyclePolicyText: text })),
        LifecyclePolicyPreviewInProgressException,
      );
    } finally {
      redis.disconnect();
    }
  });

  it('the workers apply a policy by themselves: expired images are deleted, in paced batches, with one DELETE event each; lastEvaluatedAt is set', async () => {
    const { repositoryName, blobs } = await repository();
    const kept = await putImage(repositoryName, blobs, 'release', 'release-1');
    const old: string[] = [];
    // Five: three paced batches of LIFECYCLE_DELETE_BATCH=2.
    for (const name of ['old-1', 'old-2', 'old-3', 'old-4', 'old-5'])
      old.push(await putImage(repositoryName, blobs, name));
    const text = policyText([untaggedOlderThan(1)]);
    await ecr.send(new PutLifecyclePolicyCommand({ repositoryName, lifecyclePolicyText: text }));
    // Evaluated now: nothing is a day old yet.
    await vi.waitFor(
      async () =>
        expect((await ecr.send(new GetLifecyclePolicyCommand({ repositoryName }))).lastEvaluatedAt).toBeDefined(),
      { timeout: 20_000 },
    );
    expect(await listed(repositoryName)).toEqual([kept, ...old].sort());

    await moveClock(2 * DAY_MS);
    try {
      await vi.waitFor(async () => expect(await listed(repositoryName)).toEqual([kept]), { timeout: 20_000 });
      // The evaluation that expired them sets lastEvaluatedAt (its clock's time) once its deletes are done.
      await vi.waitFor(async () => {
        const evaluated = (await ecr.send(new GetLifecyclePolicyCommand({ repositoryName }))).lastEvaluatedAt!;
        expect(evaluated.getTime()).toBeGreaterThan(Date.now() + DAY_MS);
      }, 20_000);
      await vi.waitFor(() => {
        const deletes = receiver
          .receivedOn('/events')
          .map((r) => JSON.parse(r.rawBody.toString('utf8')))
          .filter((e) => e.detail['repository-name'] === repositoryName && e.detail['action-type'] === 'DELETE');
        expect(deletes.map((e) => e.detail['image-digest']).sort()).toEqual([...old].sort());
      }, 20_000);
    } finally {
      await moveClock(0);
    }
  });
});

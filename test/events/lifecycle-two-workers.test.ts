import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import {
  CreateRepositoryCommand,
  ListImagesCommand,
  PutImageCommand,
  PutLifecyclePolicyCommand,
} from '@aws-sdk/client-ecr';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { startCallbackReceiver, type CallbackReceiver } from '../support/callback-receiver.js';
import { imageManifest, pushImageBlobs } from '../support/image-data.js';
import { digestOf } from '../support/layer-data.js';
import { startLongshore, type Longshore, type ServiceProcess } from '../support/longshore-harness.js';

const DAY_MS = 86_400_000;

interface Evaluation {
  repositoryName: string;
  evaluated: boolean;
  expired: number;
}

/** What each worker (run with TEST_HOLD_LIFECYCLE_AT=inside-lock) says over IPC, in order. */
function listen(worker: ServiceProcess, index: number, log: { worker: number; message: Record<string, unknown> }[]) {
  worker.child.on('message', (message: Record<string, unknown> | null) => {
    if (message?.type === 'lifecycle-held' || message?.type === 'lifecycle-evaluated') {
      log.push({ worker: index, message });
    }
  });
}

describe('two workers: one repository is never evaluated twice at once', () => {
  let longshore: Longshore;
  let receiver: CallbackReceiver;
  let clockDir: string;
  const said: { worker: number; message: Record<string, unknown> }[] = [];
  beforeAll(async () => {
    receiver = await startCallbackReceiver();
    clockDir = await mkdtemp(path.join(os.tmpdir(), 'longshore-clock-'));
    await writeFile(path.join(clockDir, 'offset'), '0');
    longshore = await startLongshore({
      workers: 2,
      env: {
        CLOCK_OFFSET_FILE: path.join(clockDir, 'offset'),
        LIFECYCLE_INTERVAL_SECONDS: '1',
        TEST_HOLD_LIFECYCLE_AT: 'inside-lock',
        EVENTS_WEBHOOK_URL: `${receiver.baseUrl}events`,
      },
    });
    for (const [i, worker] of longshore.workers.entries()) listen(worker, i, said);
  });
  afterAll(async () => {
    await longshore?.close();
    await receiver?.close();
    if (clockDir) await rm(clockDir, { recursive: true, force: true });
  });

  it('the second worker, run while the first evaluates, leaves the repository to it; each image expires once', async () => {
    const repositoryName = 'lifecycle/two-workers';
    const { ecr } = longshore;
    await ecr.send(new CreateRepositoryCommand({ repositoryName }));
    const blobs = await pushImageBlobs(ecr, repositoryName);
    const put = async (name: string, tag?: string) => {
      const manifest = imageManifest(blobs.config, blobs.layers, { annotations: { name } });
      await ecr.send(
        new PutImageCommand({ repositoryName, imageManifest: manifest, ...(tag ? { imageTag: tag } : {}) }),
      );
      return digestOf(Buffer.from(manifest));
    };
    const kept = await put('release', 'release-1');
    const old = [await put('old-1'), await put('old-2'), await put('old-3')];
    const policy = {
      rules: [
        {
          rulePriority: 1,
          description: 'Expire untagged images older than a day',
          selection: { tagStatus: 'untagged', countType: 'sinceImagePushed', countUnit: 'days', countNumber: 1 },
          action: { type: 'expire' },
        },
      ],
    };
    await writeFile(path.join(clockDir, 'offset'), String(2 * DAY_MS));
    await ecr.send(new PutLifecyclePolicyCommand({ repositoryName, lifecyclePolicyText: JSON.stringify(policy) }));

    // One worker holds the repository's evaluation lock, inside its evaluation.
    await vi.waitFor(() => expect(said.some((s) => s.message.type === 'lifecycle-held')).toBe(true), {
      timeout: 20_000,
    });
    const holder = said.find((s) => s.message.type === 'lifecycle-held')!.worker;
    const other = 1 - holder;
    // Meanwhile the scheduler's next runs go to the other worker (the holder's maintenance
    // consumer is busy): it is turned away by the lock and evaluates nothing.
    await vi.waitFor(
      () => {
        const turnedAway = said.filter(
          (s) =>
            s.worker === other &&
            s.message.type === 'lifecycle-evaluated' &&
            (s.message.evaluations as Evaluation[]).some((e) => e.repositoryName === repositoryName && !e.evaluated),
        );
        expect(turnedAway.length).toBeGreaterThan(0);
      },
      { timeout: 20_000 },
    );
    // Nothing expired while the holder waits, and no worker ever held the lock beside it.
    expect(said.filter((s) => s.message.type === 'lifecycle-held')).toHaveLength(1);
    expect(((await ecr.send(new ListImagesCommand({ repositoryName }))).imageIds ?? []).length).toBe(4);

    longshore.workers[holder]!.child.send({ type: 'lifecycle-release' });
    await vi.waitFor(
      () => {
        const done = said
          .filter((s) => s.worker === holder && s.message.type === 'lifecycle-evaluated')
          .flatMap((s) => s.message.evaluations as Evaluation[])
          .filter((e) => e.repositoryName === repositoryName);
        expect(done).toEqual([{ repositoryName, evaluated: true, expired: 3 }]);
      },
      { timeout: 20_000 },
    );
    const listed = ((await ecr.send(new ListImagesCommand({ repositoryName }))).imageIds ?? []).map(
      (i) => i.imageDigest,
    );
    expect(listed).toEqual([kept]);
    // Each expired image went once: one DELETE event each, with distinct ids.
    await vi.waitFor(() => {
      const deletes = receiver
        .receivedOn('/events')
        .map((r) => JSON.parse(r.rawBody.toString('utf8')))
        .filter((e) => e.detail['repository-name'] === repositoryName && e.detail['action-type'] === 'DELETE');
      expect(deletes.map((e) => e.detail['image-digest']).sort()).toEqual([...old].sort());
      expect(new Set(deletes.map((e) => e.id)).size).toBe(3);
    }, 20_000);
  });
});

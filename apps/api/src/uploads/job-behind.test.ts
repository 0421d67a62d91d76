import { RefusedError } from '@longshore/domain';
import type { FinalizeUpload, LoneSlot } from '@longshore/queue';
import type { Redis } from 'ioredis';
import { describe, expect, it } from 'vitest';
import { jobBehindCompletion } from './job-behind.js';

const upload: FinalizeUpload = { uploadId: 'u1', repositoryName: 'r', registryId: '000000000000', layerDigests: [] };

/** Fakes of the batcher's slot and the queue (pure logic: what each answer of the script leads to). */
function harness(slotFree = true) {
  const calls: string[] = [];
  const slot: LoneSlot = {
    send: async (sent) => {
      calls.push(`send ${sent.uploadId}`);
    },
    release: () => calls.push('release'),
  };
  const deps = {
    connection: {} as Redis,
    slots: { takeSlot: () => (slotFree ? slot : undefined) },
    queue: {
      withdraw: async (jobId: string) => {
        calls.push(`withdraw ${jobId}`);
        return true;
      },
    },
  };
  const usual = {
    submit: async (lone: FinalizeUpload) => {
      calls.push(`submit ${lone.uploadId}`);
    },
    recover: async (lone: FinalizeUpload) => {
      calls.push(`recover ${lone.uploadId}`);
    },
  };
  return { calls, behind: jobBehindCompletion(deps, upload, usual) };
}

describe('jobBehindCompletion: a lone completion job behind its script', () => {
  it('none without a free slot, nor on a Redis Cluster (no deps)', () => {
    expect(harness(false).behind).toBeUndefined();
    expect(jobBehindCompletion(undefined, upload, { submit: async () => {}, recover: async () => {} })).toBeUndefined();
  });

  it('queued by the script ahead of it: the job sent is the upload’s, nothing else is added', async () => {
    const { calls, behind } = harness();
    behind!.job.add();
    behind!.job.queuedAhead = true;
    await behind!.queued();
    expect(calls).toEqual(['send u1']);
  });

  it('queued by another script than the one ahead of it (NOSCRIPT, a later script): the recovery job too', async () => {
    const { calls, behind } = harness();
    behind!.job.add();
    behind!.job.queuedAhead = false;
    await behind!.queued();
    expect(calls).toEqual(['send u1', 'recover u1']);
  });

  it('queued with no job sent: the slot is given back and the job goes the usual way', async () => {
    const { calls, behind } = harness();
    await behind!.queued();
    expect(calls).toEqual(['release', 'submit u1']);
  });

  it('refused: the slot is given back and the job sent is withdrawn; other errors leave it', async () => {
    const refused = harness();
    refused.behind!.job.add();
    await refused.behind!.refused(new RefusedError('EMPTY'));
    expect(refused.calls).toEqual(['send u1', 'release', 'withdraw finalize-u1']);

    const failed = harness();
    failed.behind!.job.add();
    await failed.behind!.refused(new Error('connection lost'));
    expect(failed.calls, 'the script may have run: its job stays').toEqual(['send u1', 'release']);
  });

  it('joined: the slot is given back, the job stays', () => {
    const { calls, behind } = harness();
    behind!.job.add();
    behind!.joined();
    expect(calls).toEqual(['send u1', 'release']);
  });
});

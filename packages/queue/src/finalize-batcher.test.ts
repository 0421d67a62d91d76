import { describe, expect, it } from 'vitest';
import { FinalizeBatcher, type FinalizeBatchLimits } from './finalize-batcher.js';
import type { FinalizeUpload } from './finalize-queue.js';

const upload = (n: number): FinalizeUpload => ({
  uploadId: `u${n}`,
  repositoryName: 'r',
  registryId: '000000000000',
  layerDigests: [`sha256:${n}`],
});

/** A fake queue whose jobs settle when the test says so (pure logic: no Redis involved). */
function harness(limits: FinalizeBatchLimits) {
  const sent: string[][] = [];
  const settle = new Map<string, () => void>();
  let failNext: Error | undefined;
  const batcher = new FinalizeBatcher(limits, {
    send: async (uploads) => {
      if (failNext) {
        const err = failNext;
        failNext = undefined;
        throw err;
      }
      sent.push(uploads.map((u) => u.uploadId));
    },
    settled: (ids) => new Promise<void>((resolve) => settle.set(ids[0]!, resolve)),
  });
  /** Lets the batcher's setImmediate and promise callbacks run. */
  const turn = () => new Promise((resolve) => setImmediate(resolve));
  return {
    batcher,
    sent,
    settleJob: async (firstId: string) => {
      settle.get(firstId)!();
      await turn();
      await turn();
    },
    failNextSend: (err: Error) => (failNext = err),
    turn,
  };
}

describe('FinalizeBatcher (group commit, the API side)', () => {
  it('sends a lone completion at once, and gathers those that arrive while the job is in flight', async () => {
    const h = harness({ maxUploads: 64, maxWaitMs: 60_000, maxInFlight: 1 });
    await h.batcher.submit(upload(1));
    expect(h.sent).toEqual([['u1']]);
    expect(h.batcher.jobsInFlight).toBe(1);

    const acknowledged: string[] = [];
    const gathered = [2, 3, 4].map((n) => h.batcher.submit(upload(n)).then(() => acknowledged.push(`u${n}`)));
    await h.turn();
    expect(h.sent).toEqual([['u1']]);
    expect(acknowledged, 'nothing is acknowledged before its job is added').toEqual([]);

    await h.settleJob('u1');
    await Promise.all(gathered);
    expect(h.sent).toEqual([['u1'], ['u2', 'u3', 'u4']]);
    expect(acknowledged.sort()).toEqual(['u2', 'u3', 'u4']);
  });

  it('sends completions that arrive in the same turn as one job', async () => {
    const h = harness({ maxUploads: 64, maxWaitMs: 60_000, maxInFlight: 1 });
    await Promise.all([1, 2, 3].map((n) => h.batcher.submit(upload(n))));
    expect(h.sent).toEqual([['u1', 'u2', 'u3']]);
  });

  it('caps a batch by size: a full batch is sent although a job is in flight', async () => {
    const h = harness({ maxUploads: 2, maxWaitMs: 60_000, maxInFlight: 1 });
    await h.batcher.submit(upload(1));
    await Promise.all([2, 3].map((n) => h.batcher.submit(upload(n))));
    expect(h.sent).toEqual([['u1'], ['u2', 'u3']]);
    expect(h.batcher.jobsInFlight).toBe(2);
  });

  it('caps a batch by age: the gathered completions go when the oldest has waited maxWaitMs', async () => {
    const h = harness({ maxUploads: 64, maxWaitMs: 20, maxInFlight: 1 });
    await h.batcher.submit(upload(1));
    await Promise.all([2, 3].map((n) => h.batcher.submit(upload(n))));
    expect(h.sent, 'the first job never settled').toEqual([['u1'], ['u2', 'u3']]);
  });

  it('sends at once while fewer than maxInFlight jobs are in flight', async () => {
    const h = harness({ maxUploads: 64, maxWaitMs: 60_000, maxInFlight: 2 });
    await h.batcher.submit(upload(1));
    await h.batcher.submit(upload(2));
    expect(h.sent).toEqual([['u1'], ['u2']]);
    const third = h.batcher.submit(upload(3));
    await h.turn();
    expect(h.sent).toHaveLength(2);
    await h.settleJob('u2');
    await third;
    expect(h.sent).toEqual([['u1'], ['u2'], ['u3']]);
  });

  it('rejects every completion of a batch whose job could not be added, and frees its slot', async () => {
    const h = harness({ maxUploads: 64, maxWaitMs: 60_000, maxInFlight: 1 });
    h.failNextSend(new Error('Redis is gone'));
    const results = await Promise.allSettled([1, 2].map((n) => h.batcher.submit(upload(n))));
    expect(results.map((r) => r.status)).toEqual(['rejected', 'rejected']);
    expect(h.batcher.jobsInFlight).toBe(0);
    await h.batcher.submit(upload(3));
    expect(h.sent).toEqual([['u3']]);
  });

  it('a lone slot counts as in flight from the moment it is taken, and sends one job of one upload', async () => {
    const h = harness({ maxUploads: 64, maxWaitMs: 60_000, maxInFlight: 1 });
    const slot = h.batcher.takeSlot();
    expect(slot).toBeDefined();
    expect(h.batcher.jobsInFlight).toBe(1);
    expect(h.batcher.takeSlot(), 'no second slot beyond maxInFlight').toBeUndefined();

    const gathered = h.batcher.submit(upload(2));
    await h.turn();
    expect(h.sent, 'a completion arriving meanwhile gathers behind the slot').toEqual([]);

    await slot!.send(upload(1));
    expect(h.sent).toEqual([['u1']]);
    await h.settleJob('u1');
    await gathered;
    expect(h.sent).toEqual([['u1'], ['u2']]);
  });

  it('a released slot stops counting at once, and releasing twice changes nothing', async () => {
    const h = harness({ maxUploads: 64, maxWaitMs: 60_000, maxInFlight: 1 });
    const slot = h.batcher.takeSlot()!;
    const gathered = h.batcher.submit(upload(2));
    await h.turn();
    expect(h.sent).toEqual([]);
    slot.release();
    slot.release();
    await gathered;
    expect(h.sent, 'the gathered completion went once the slot was released').toEqual([['u2']]);
    expect(h.batcher.jobsInFlight).toBe(1);
  });

  it('no slot while completions are gathering: they go first', async () => {
    const h = harness({ maxUploads: 64, maxWaitMs: 60_000, maxInFlight: 2 });
    const gathering = h.batcher.submit(upload(1));
    expect(h.batcher.takeSlot()).toBeUndefined();
    await gathering;
    expect(h.batcher.takeSlot()).toBeDefined();
    expect(h.batcher.jobsInFlight).toBe(2);
  });
});

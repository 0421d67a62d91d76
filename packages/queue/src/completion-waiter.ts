import type { Cluster, Redis } from 'ioredis';
import { parseUploadRecord, type Keys, type UploadRecord, type UploadStore } from '@longshore/metadata';

export type WaitCondition = (record: UploadRecord | undefined) => boolean;
export type WaitOutcome =
  | { timedOut: false; record: UploadRecord | undefined }
  | { timedOut: true; record: UploadRecord | undefined };

interface Waiter {
  until: WaitCondition;
  settle: (outcome: WaitOutcome) => void;
}

/**
 * Lets any number of requests in one process wait for upload status changes at the cost of one
 * Redis subscriber connection: each upload being waited on is one SUBSCRIBE on that connection,
 * the worker announces every status change on it, and nobody reads BullMQ's whole event stream.
 *
 * A notification can be missed (a reconnect, a status recorded before the SUBSCRIBE landed), so
 * after subscribing each waiter reads the stored status once, and one process-wide sweep re-reads
 * the status of everything still waited on every `pollMs`, in a single pipeline.
 */
export class CompletionWaiter {
  private readonly waiters = new Map<string, Set<Waiter>>();
  private readonly subscribed = new Map<string, Promise<void>>();
  private readonly sweepTimer: NodeJS.Timeout;
  private closed = false;

  constructor(
    private readonly subscriber: Redis | Cluster,
    private readonly uploads: Pick<UploadStore, 'get' | 'getMany'>,
    private readonly keys: Keys,
    pollMs: number,
  ) {
    const prefix = keys.uploadEvents('');
    subscriber.on('message', (channel: string, message: string) => {
      if (!channel.startsWith(prefix)) return;
      const record = parseUploadRecord(JSON.parse(message) as Record<string, string>);
      this.deliver(channel.slice(prefix.length), record);
    });
    this.sweepTimer = setInterval(() => void this.sweep(), pollMs);
    this.sweepTimer.unref();
  }

  /** How many requests are waiting right now. */
  get size(): number {
    let n = 0;
    for (const set of this.waiters.values()) n += set.size;
    return n;
  }

  /**
   * Resolves with the upload's record as soon as `until` holds for it, or with the latest record
   * and `timedOut` when `timeoutMs` passes first (or `signal` aborts, e.g. the client went away).
   */
  async waitFor(uploadId: string, until: WaitCondition, timeoutMs: number, signal?: AbortSignal): Promise<WaitOutcome> {
    let latest: UploadRecord | undefined;
    let settle!: (outcome: WaitOutcome) => void;
    const done = new Promise<WaitOutcome>((resolve) => (settle = resolve));
    const waiter: Waiter = {
      until: (record) => {
        latest = record;
        return until(record);
      },
      settle: (outcome) => settle(outcome),
    };
    const timer = setTimeout(() => waiter.settle({ timedOut: true, record: latest }), timeoutMs);
    const onAbort = () => waiter.settle({ timedOut: true, record: latest });
    signal?.addEventListener('abort', onAbort, { once: true });
    try {
      await this.add(uploadId, waiter);
      const current = await this.uploads.get(uploadId);
      if (waiter.until(current)) waiter.settle({ timedOut: false, record: current });
      return await done;
    } finally {
      clearTimeout(timer);
      signal?.removeEventListener('abort', onAbort);
      await this.remove(uploadId, waiter);
    }
  }

  async close(): Promise<void> {
    this.closed = true;
    clearInterval(this.sweepTimer);
    for (const set of this.waiters.values()) {
      for (const waiter of set) waiter.settle({ timedOut: true, record: undefined });
    }
    this.waiters.clear();
  }

  /** Resolves once the upload's channel is subscribed, for the first waiter and every later one. */
  private async add(uploadId: string, waiter: Waiter): Promise<void> {
    let set = this.waiters.get(uploadId);
    if (!set) {
      set = new Set();
      this.waiters.set(uploadId, set);
      this.subscribed.set(
        uploadId,
        this.subscriber.subscribe(this.keys.uploadEvents(uploadId)).then(() => undefined),
      );
    }
    set.add(waiter);
    await this.subscribed.get(uploadId);
  }

  private async remove(uploadId: string, waiter: Waiter): Promise<void> {
    const set = this.waiters.get(uploadId);
    if (!set) return;
    set.delete(waiter);
    if (set.size === 0) {
      this.waiters.delete(uploadId);
      this.subscribed.delete(uploadId);
      if (!this.closed) await this.subscriber.unsubscribe(this.keys.uploadEvents(uploadId)).catch(() => undefined);
    }
  }

  private deliver(uploadId: string, record: UploadRecord | undefined): void {
    const set = this.waiters.get(uploadId);
    if (!set) return;
    for (const waiter of set) {
      if (waiter.until(record)) waiter.settle({ timedOut: false, record });
    }
  }

  private async sweep(): Promise<void> {
    if (this.waiters.size === 0) return;
    const ids = [...this.waiters.keys()];
    try {
      const records = await this.uploads.getMany(ids);
      for (const [i, id] of ids.entries()) this.deliver(id, records[i]);
    } catch {
      // Redis unavailable: the next sweep tries again; waiters still time out on their own.
    }
  }
}

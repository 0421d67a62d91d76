import type { Cluster, Redis } from 'ioredis';
import { parseUploadAnnouncement, type Keys, type UploadAnnouncement, type UploadStore } from '@longshore/metadata';
import { redisReady } from './redis-connection.js';

/**
 * A waiter sees an upload as announced (UploadAnnouncement: its status and, once finished, its
 * digest, size or error) or as read by a sweep (the whole record); undefined once it is gone.
 */
export type WaitCondition = (record: UploadAnnouncement | undefined) => boolean;
export type WaitOutcome =
  | { timedOut: false; record: UploadAnnouncement | undefined }
  | { timedOut: true; record: UploadAnnouncement | undefined };

/**
 * Runs once the waiter listens (see `CompletionWaiter.waitFor`); resolves to `false` when no
 * status change can have been announced before (the caller has just handed the upload to the
 * queue itself), so the stored status need not be read; `true` to read it.
 */
export type WaitStart = () => Promise<boolean>;

interface Waiter {
  until: WaitCondition;
  settle: (outcome: WaitOutcome) => void;
  /** A client request waiting (counted by `size`), not the process's own bookkeeping. */
  isRequest: boolean;
}

/**
 * Lets any number of requests in one process wait for upload status changes at the cost of one
 * Redis subscriber connection holding one pattern subscription to every upload's events channel
 * (PSUBSCRIBE, made once per process): waiting costs no SUBSCRIBE/UNSUBSCRIBE round trips, and
 * an announcement for an upload nobody here waits on is dropped unparsed. Nobody reads BullMQ's
 * whole event stream.
 *
 * A notification can be missed (a reconnect, a status recorded before the waiter listened), so
 * each waiter reads the stored status once it listens (unless its start says nothing can have
 * been announced yet), and one process-wide sweep re-reads the status of everything still waited
 * on every `pollMs`, in a single pipeline.
 */
export class CompletionWaiter {
  private readonly waiters = new Map<string, Set<Waiter>>();
  /** Events channel → upload id, for the uploads being waited on. */
  private readonly channels = new Map<string, string>();
  /** The pattern subscription, once asked for; forgotten when it failed, so the next wait asks again. */
  private listening: Promise<void> | undefined;
  private readonly sweepTimer: NodeJS.Timeout;
  private closed = false;

  constructor(
    private readonly subscriber: Redis | Cluster,
    private readonly uploads: Pick<UploadStore, 'get' | 'getMany'>,
    private readonly keys: Keys,
    pollMs: number,
  ) {
    subscriber.on('pmessage', (_pattern: string, channel: string, message: string) => {
      const uploadId = this.channels.get(channel);
      if (uploadId === undefined) return;
      this.deliver(uploadId, parseUploadAnnouncement(JSON.parse(message) as Record<string, string>));
    });
    // Subscribed at once; a subscription that failed (Redis not reachable yet) is asked for
    // again by the next wait. After every reconnect it is asked for again too (PSUBSCRIBE of a
    // pattern already held is a no-op), so a subscription lost with a connection never stays lost.
    this.listen().catch(() => undefined);
    subscriber.on('ready', () => {
      if (this.closed || this.listening === undefined) return;
      this.listening = undefined;
      this.listen().catch(() => undefined);
    });
    this.sweepTimer = setInterval(() => void this.sweep(), pollMs);
    this.sweepTimer.unref();
  }

  /**
   * Every upload's channel, one pattern. Sent only once the connection is ready: a PSUBSCRIBE
   * sent while ioredis is still connecting puts the connection in subscriber mode before its
   * ready check (INFO), which Redis then refuses; ioredis drops that connection, and the
   * reconnected one would hold no subscription while the promise had already resolved.
   */
  private listen(): Promise<void> {
    this.listening ??= redisReady(this.subscriber)
      .then(() => this.subscriber.psubscribe(this.keys.uploadEvents('*')))
      .then(
        () => undefined,
        (err: unknown) => {
          this.listening = undefined;
          throw err;
        },
      );
    return this.listening;
  }

  /** How many requests are waiting right now (the finalize batcher's own waits are not requests). */
  get size(): number {
    let n = 0;
    for (const set of this.waiters.values()) for (const waiter of set) if (waiter.isRequest) n += 1;
    return n;
  }

  /**
   * Resolves with the upload's record as soon as `until` holds for it, or with the latest record
   * and `timedOut` when `timeoutMs` passes first (or `signal` aborts, e.g. the client went away).
   * `start`, if given, runs once the waiter listens (its error is thrown from here). `isRequest`
   * false marks a wait of the process itself (not counted by `size`).
   */
  async waitFor(
    uploadId: string,
    until: WaitCondition,
    timeoutMs: number,
    signal?: AbortSignal,
    start?: WaitStart,
    isRequest = true,
  ): Promise<WaitOutcome> {
    let latest: UploadAnnouncement | undefined;
    let settle!: (outcome: WaitOutcome) => void;
    const done = new Promise<WaitOutcome>((resolve) => (settle = resolve));
    const waiter: Waiter = {
      until: (record) => {
        latest = record;
        return until(record);
      },
      settle: (outcome) => settle(outcome),
      isRequest,
    };
    const timer = setTimeout(() => waiter.settle({ timedOut: true, record: latest }), timeoutMs);
    const onAbort = () => waiter.settle({ timedOut: true, record: latest });
    signal?.addEventListener('abort', onAbort, { once: true });
    this.add(uploadId, waiter);
    try {
      // Not listening before the wait is over (Redis unreachable): the timed-out outcome, and
      // `start` never runs.
      const listening = await Promise.race([this.listen().then(() => true), done.then(() => false)]);
      if (listening && (!start || (await start()))) {
        const current = await this.uploads.get(uploadId);
        if (waiter.until(current)) waiter.settle({ timedOut: false, record: current });
      }
      return await done;
    } finally {
      clearTimeout(timer);
      signal?.removeEventListener('abort', onAbort);
      this.remove(uploadId, waiter);
    }
  }

  async close(): Promise<void> {
    this.closed = true;
    clearInterval(this.sweepTimer);
    for (const set of this.waiters.values()) {
      for (const waiter of set) waiter.settle({ timedOut: true, record: undefined });
    }
    this.waiters.clear();
    this.channels.clear();
  }

  private add(uploadId: string, waiter: Waiter): void {
    let set = this.waiters.get(uploadId);
    if (!set) {
      set = new Set();
      this.waiters.set(uploadId, set);
      this.channels.set(this.keys.uploadEvents(uploadId), uploadId);
    }
    set.add(waiter);
  }

  private remove(uploadId: string, waiter: Waiter): void {
    const set = this.waiters.get(uploadId);
    if (!set) return;
    set.delete(waiter);
    if (set.size === 0) {
      this.waiters.delete(uploadId);
      this.channels.delete(this.keys.uploadEvents(uploadId));
    }
  }

  private deliver(uploadId: string, record: UploadAnnouncement | undefined): void {
    const set = this.waiters.get(uploadId);
    if (!set) return;
    for (const waiter of set) {
      if (waiter.until(record)) waiter.settle({ timedOut: false, record });
    }
  }

  private async sweep(): Promise<void> {
    if (this.waiters.size === 0 || this.closed) return;
    const ids = [...this.waiters.keys()];
    try {
      const records = await this.uploads.getMany(ids);
      for (const [i, id] of ids.entries()) this.deliver(id, records[i]);
    } catch {
      // Redis unavailable: the next sweep tries again; waiters still time out on their own.
    }
  }
}

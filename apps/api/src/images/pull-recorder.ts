import type { Clock } from '@longshore/config';
import type { ImageStore } from '@longshore/metadata';

export interface PullRecorderDeps {
  images: Pick<ImageStore, 'recordPull'>;
  /** PULL_RECORD_INTERVAL_SECONDS, in ms: at most one write per image per interval. */
  intervalMs: number;
  now: Clock;
  /** A pull time was written to Redis (the metric longshore_image_pulls_recorded_total). */
  written?(): void;
  /** A write failed: logged, never the pull's failure. */
  failed?(err: unknown): void;
}

/** Beyond this many remembered images, entries older than the interval are dropped. */
const PRUNE_AT = 10_000;

/**
 * Records manifest pulls as `lastRecordedPullTime`, cheaply: the response never waits for it
 * (the write runs in the background), and this process writes an image at most once per
 * interval (an in-process map), so a hot image costs one Redis round trip per interval. The
 * Redis script keeps that bound across API replicas (ImageStore.recordPull).
 */
export class PullRecorder {
  private readonly last = new Map<string, number>();

  constructor(private readonly deps: PullRecorderDeps) {}

  /** A manifest of `digest` in `repositoryName` was pulled now. Returns at once. */
  pulled(repositoryName: string, digest: string): void {
    const now = this.deps.now();
    const key = `${repositoryName}\n${digest}`;
    const last = this.last.get(key);
    if (last !== undefined && now - last < this.deps.intervalMs && now >= last) return;
    if (this.last.size >= PRUNE_AT) this.prune(now);
    this.last.set(key, now);
    this.deps.images.recordPull(repositoryName, digest, now, this.deps.intervalMs).then(
      (wrote) => {
        if (wrote) this.deps.written?.();
      },
      (err: unknown) => {
        // Let the next pull try again.
        this.last.delete(key);
        this.deps.failed?.(err);
      },
    );
  }

  private prune(now: number): void {
    for (const [key, at] of this.last) if (now - at >= this.deps.intervalMs) this.last.delete(key);
  }
}

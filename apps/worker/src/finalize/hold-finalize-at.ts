import type { Config } from '@longshore/config';
import type { FinalizeDeps } from './finalize-upload.js';

export type HoldPoint = Config['testHoldFinalizeAt'];

/** The IPC message a held worker sends its parent (the test harness): it is now at `point`. */
export interface HeldMessage {
  type: 'finalize-held';
  point: Exclude<HoldPoint, 'off'>;
  /** The upload held (`mid-batch`: the job's id). */
  uploadId: string;
  /** `mid-batch`: the uploads of the batch settled before the hold, and those held before publishing. */
  settled?: string[];
  held?: string[];
}

/** Where an upload stands in its finalize job's batch. */
export interface BatchPlace {
  jobId: string;
  index: number;
  of: number;
}

/**
 * Fault injection for the worker-crash tests (TEST_HOLD_FINALIZE_AT, never set in service and
 * nothing a client can reach): finalization stops at a named step and never goes on, so a test
 * kills the worker at a known point instead of racing a hash. It wraps the dependency the step
 * calls: `before-publish` the storage's `completeUpload`, `before-link` the layer link.
 */
export function holdFinalizeAt(point: HoldPoint, deps: FinalizeDeps): FinalizeDeps {
  if (point === 'off' || point === 'mid-batch') return deps;
  return holdAt(point, deps, (uploadId) => process.send?.({ type: 'finalize-held', point, uploadId } as HeldMessage));
}

/**
 * `mid-batch`: in a job of two or more uploads, the first half is finalized and settled; the
 * rest hold before publishing (their digests recorded, nothing published). Once both have
 * happened the worker tells its parent (`settled`, `held`), which kills it there: a crash in
 * the middle of a batch, chosen rather than raced. A job of one upload runs as usual.
 */
export function holdBatchMidway(deps: FinalizeDeps) {
  const batches = new Map<string, { settled: string[]; held: string[] }>();
  const placeOf = new Map<string, BatchPlace>();
  const firstHalf = (place: BatchPlace) => place.of < 2 || place.index < Math.floor(place.of / 2);
  const note = (place: BatchPlace, uploadId: string, how: 'settled' | 'held') => {
    const batch = batches.get(place.jobId) ?? { settled: [], held: [] };
    batches.set(place.jobId, batch);
    batch[how].push(uploadId);
    if (batch.settled.length + batch.held.length !== place.of) return;
    const message: HeldMessage = { type: 'finalize-held', point: 'mid-batch', uploadId: place.jobId, ...batch };
    process.send?.(message);
  };
  const held = holdAt('before-publish', deps, (uploadId) => {
    const place = placeOf.get(uploadId);
    if (place) note(place, uploadId, 'held');
  });
  return {
    /** The dependencies the upload `uploadId`, at `place` in its batch, is finalized with. */
    depsFor(place: BatchPlace, uploadId: string): FinalizeDeps {
      if (firstHalf(place)) return deps;
      placeOf.set(uploadId, place);
      return held;
    },
    /** Called once the upload at `place` is settled. */
    settled(place: BatchPlace, uploadId: string): void {
      if (place.of >= 2 && firstHalf(place)) note(place, uploadId, 'settled');
    },
  };
}

function holdAt(point: 'before-publish' | 'before-link', deps: FinalizeDeps, tell: (uploadId: string) => void) {
  const hold = (uploadId: string): Promise<never> => {
    tell(uploadId);
    return new Promise<never>(() => {});
  };
  if (point === 'before-link') {
    const layers: FinalizeDeps['layers'] = {
      link: (_repository, _registry, _digest, link) => hold(link.uploadId),
      unlink: (repository, digest) => deps.layers.unlink(repository, digest),
    };
    // On a single Redis the link is part of the finalization's last script: held before it.
    const finalizations: FinalizeDeps['finalizations'] = deps.finalizations && {
      combined: deps.finalizations.combined,
      finish: (blob) => hold(blob.uploadId),
    };
    return { ...deps, layers, ...(finalizations ? { finalizations } : {}) };
  }
  const storage = new Proxy(deps.storage, {
    get(target, property) {
      if (property === 'completeUpload') return (session: { uploadId: string }) => hold(session.uploadId);
      // A small layer's publication waits for its digest's record before the blob becomes
      // visible: held once the record is there, before anything is published.
      if (property === 'publishBytes' && target.publishBytes) {
        return (session: { uploadId: string }, _bytes: unknown, _digest: string, recorded?: Promise<unknown>) =>
          Promise.resolve(recorded).then(() => hold(session.uploadId));
      }
      const value: unknown = Reflect.get(target, property, target);
      return typeof value === 'function' ? value.bind(target) : value;
    },
  });
  return { ...deps, storage };
}

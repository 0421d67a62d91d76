import type { ServiceProcess } from './longshore-harness.js';

export type HoldPoint = 'before-publish' | 'before-link' | 'mid-batch';

/** The env that makes a worker hold its finalization at `point` until it is killed (TEST_HOLD_FINALIZE_AT). */
export const holdFinalizeEnv = (point: HoldPoint) => ({ TEST_HOLD_FINALIZE_AT: point });

/**
 * Resolves when `worker` (started with `holdFinalizeEnv(point)`) says, over IPC, that its
 * finalization of `uploadId` has reached `point` and holds there: the crash point is then known,
 * whatever the machine's speed. Rejects if the worker exits first.
 */
export function finalizeHeld(worker: ServiceProcess, point: HoldPoint, uploadId: string): Promise<void> {
  const isHeld = (message: unknown) => {
    const held = message as { type?: string; point?: string; uploadId?: string } | null;
    return held?.type === 'finalize-held' && held.point === point && held.uploadId === uploadId;
  };
  // Held before the harness saw the worker ready (it took a job already queued at once).
  if (worker.messages.some(isHeld)) return Promise.resolve();
  return new Promise((resolve, reject) => {
    const onMessage = (message: unknown) => {
      if (!isHeld(message)) return;
      cleanUp();
      resolve();
    };
    const onExit = (code: number | null) => {
      cleanUp();
      reject(new Error(`the worker exited (${code}) before its finalization held at ${point}`));
    };
    const cleanUp = () => {
      worker.child.off('message', onMessage);
      worker.child.off('exit', onExit);
    };
    worker.child.on('message', onMessage);
    worker.child.on('exit', onExit);
    // Sent before we listened (in the same read as the worker's ready message): already here.
    for (const message of worker.messages) onMessage(message);
  });
}

/** Where a worker started with `holdFinalizeEnv('mid-batch')` stopped its batch. */
export interface BatchHeld {
  /** The finalize job of the batch. */
  jobId: string;
  /** The uploads it finalized and settled before the hold. */
  settled: string[];
  /** The uploads it holds before publishing (digest recorded, nothing published). */
  held: string[];
}

/**
 * Resolves when `worker` (started with `holdFinalizeEnv('mid-batch')`) says, over IPC, that it
 * holds a batch of two or more uploads midway: half settled, the rest held before publishing.
 * Rejects if the worker exits first.
 */
export function batchHeldMidway(worker: ServiceProcess): Promise<BatchHeld> {
  type Held = { type?: string; point?: string; uploadId?: string; settled?: string[]; held?: string[] } | null;
  const isHeld = (message: unknown) => {
    const held = message as Held;
    return held?.type === 'finalize-held' && held.point === 'mid-batch';
  };
  const batch = (message: unknown): BatchHeld => {
    const held = message as NonNullable<Held>;
    return { jobId: held.uploadId!, settled: held.settled ?? [], held: held.held ?? [] };
  };
  // Held before the harness saw the worker ready (it took a batch already queued at once).
  const early = worker.messages.find(isHeld);
  if (early !== undefined) return Promise.resolve(batch(early));
  return new Promise((resolve, reject) => {
    const onMessage = (message: unknown) => {
      if (!isHeld(message)) return;
      cleanUp();
      resolve(batch(message));
    };
    const onExit = (code: number | null) => {
      cleanUp();
      reject(new Error(`the worker exited (${code}) before it held a batch midway`));
    };
    const cleanUp = () => {
      worker.child.off('message', onMessage);
      worker.child.off('exit', onExit);
    };
    worker.child.on('message', onMessage);
    worker.child.on('exit', onExit);
    // Sent before we listened (in the same read as the worker's ready message): already here.
    for (const message of worker.messages) onMessage(message);
  });
}

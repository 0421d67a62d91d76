import type { Config } from '@longshore/config';
import type { FinalizeDeps } from './finalize-upload.js';

export type HoldPoint = Config['testHoldFinalizeAt'];

/** The IPC message a held worker sends its parent (the test harness): it is now at `point`. */
export interface HeldMessage {
  type: 'finalize-held';
  point: Exclude<HoldPoint, 'off'>;
  uploadId: string;
}

/**
 * Fault injection for the worker-crash tests (TEST_HOLD_FINALIZE_AT, never set in service and
 * nothing a client can reach): finalization stops at a named step and never goes on, so a test
 * kills the worker at a known point instead of racing a hash. It wraps the dependency the step
 * calls: `before-publish` the storage's `completeUpload`, `before-link` the layer link.
 */
export function holdFinalizeAt(point: HoldPoint, deps: FinalizeDeps): FinalizeDeps {
  if (point === 'off') return deps;
  const hold = (uploadId: string): Promise<never> => {
    const message: HeldMessage = { type: 'finalize-held', point, uploadId };
    process.send?.(message);
    return new Promise<never>(() => {});
  };
  if (point === 'before-link') {
    const layers: FinalizeDeps['layers'] = {
      link: (_repository, _registry, _digest, link) => hold(link.uploadId),
      unlink: (repository, digest) => deps.layers.unlink(repository, digest),
    };
    return { ...deps, layers };
  }
  const storage = new Proxy(deps.storage, {
    get(target, property) {
      if (property === 'completeUpload') return (session: { uploadId: string }) => hold(session.uploadId);
      const value: unknown = Reflect.get(target, property, target);
      return typeof value === 'function' ? value.bind(target) : value;
    },
  });
  return { ...deps, storage };
}

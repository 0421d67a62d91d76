import type { Config } from '@longshore/config';
import { holdUntilParentReleases } from '../health/parent-release.js';
import type { RepositoryEvaluation } from './apply-lifecycle-policies.js';

/** IPC messages a worker run with TEST_HOLD_LIFECYCLE_AT sends its parent (the test harness). */
export type LifecycleHoldMessage =
  | { type: 'lifecycle-held'; repositoryName: string }
  | { type: 'lifecycle-evaluated'; evaluations: RepositoryEvaluation[] };

/**
 * Test-only hold point of lifecycle evaluation (TEST_HOLD_LIFECYCLE_AT, never set in service and
 * nothing a client can reach): at `inside-lock` each evaluation, once it holds the repository's
 * evaluation lock, tells its parent process and waits for `{ type: 'lifecycle-release' }`; after
 * each run the worker reports what it evaluated (or left to another holder of the lock). So a
 * test shows that a second worker, running while the first holds the lock, evaluates nothing.
 */
export function holdLifecycleAt(point: Config['testHoldLifecycleAt']):
  | {
      insideLock(repositoryName: string): Promise<void>;
      evaluated(evaluations: RepositoryEvaluation[]): void;
    }
  | undefined {
  if (point === 'off') return undefined;
  const send = (message: LifecycleHoldMessage) => process.send?.(message);
  return {
    insideLock: (repositoryName) =>
      holdUntilParentReleases(
        { type: 'lifecycle-held', repositoryName } satisfies LifecycleHoldMessage,
        'lifecycle-release',
      ),
    evaluated: (evaluations) => send({ type: 'lifecycle-evaluated', evaluations }),
  };
}

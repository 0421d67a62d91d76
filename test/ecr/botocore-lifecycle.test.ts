import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startLongshore, type Longshore } from '../support/longshore-harness.js';
import { runBotocoreDriver } from '../support/run-botocore-driver.js';

interface Caught {
  code: string | null;
  httpStatus?: number;
  isModeledClass?: boolean;
}

interface LifecycleRun {
  policy: string;
  getBeforePut: Caught;
  previewBeforeStart: Caught;
  invalidPolicy: Caught;
  put: { registryId: string; repositoryName: string; lifecyclePolicyText: string };
  get: { registryId: string; repositoryName: string; lifecyclePolicyText: string };
  startStatus: string;
  preview: { status: string; expiring: number; results: unknown[] };
  deletedText: string;
  deleteAgain: Caught;
}

describe('lifecycle policies with botocore', () => {
  let longshore: Longshore;
  beforeAll(async () => {
    longshore = await startLongshore();
  });
  afterAll(() => longshore?.close());

  it('serves every lifecycle operation and raises the modeled exception classes', async () => {
    const repositoryName = 'lifecycle/botocore';
    const run = await runBotocoreDriver<LifecycleRun>('botocore-lifecycle.py', [longshore.endpoint, repositoryName]);
    const modeled = (code: string) => ({ code, httpStatus: 400, isModeledClass: true });
    expect(run.getBeforePut).toEqual(modeled('LifecyclePolicyNotFoundException'));
    expect(run.previewBeforeStart).toEqual(modeled('LifecyclePolicyPreviewNotFoundException'));
    // A tagged rule without a tag list is not a valid policy.
    expect(run.invalidPolicy).toEqual(modeled('InvalidParameterException'));
    const answered = { registryId: '000000000000', repositoryName, lifecyclePolicyText: run.policy };
    expect(run.put).toEqual(answered);
    expect(run.get).toEqual(answered);
    expect(run.startStatus).toBe('IN_PROGRESS');
    expect(run.preview).toEqual({ status: 'COMPLETE', expiring: 0, results: [] });
    expect(run.deletedText).toBe(run.policy);
    expect(run.deleteAgain).toEqual(modeled('LifecyclePolicyNotFoundException'));
  });
});

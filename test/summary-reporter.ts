import type { Reporter, SerializedError, TestModule, TestRunEndReason, TestSpecification } from 'vitest/node';
import { countTestRun, summaryLine } from './support/count-test-run.js';

/**
 * Ends the run with one plain line any CI can read: `Tests: N passed, N failed`. Failed files,
 * failed hooks, unhandled errors and a failed global setup count as failures too, so it never says
 * `0 failed` when the run failed; checks that could not run for lack of a tool are named, with the
 * setting that provides it.
 */
export default class SummaryReporter implements Reporter {
  private specifications = 0;

  onTestRunStart(specifications: ReadonlyArray<TestSpecification>): void {
    this.specifications = specifications.length;
  }

  onTestRunEnd(
    testModules: ReadonlyArray<TestModule>,
    unhandledErrors: ReadonlyArray<SerializedError>,
    reason: TestRunEndReason,
  ): void {
    const counts = countTestRun(testModules, unhandledErrors.length, { reason, specifications: this.specifications });
    process.stdout.write(`\n${summaryLine(counts)}\n`);
  }
}

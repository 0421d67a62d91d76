import type { Reporter, SerializedError, TestModule } from 'vitest/node';
import { countTestRun, summaryLine } from './support/count-test-run.js';

/**
 * Ends the run with one plain line any CI can read: `Tests: N passed, N failed`. Failed files,
 * failed hooks and unhandled errors count as failures too, so it never says `0 failed` when the
 * run failed.
 */
export default class SummaryReporter implements Reporter {
  onTestRunEnd(testModules: ReadonlyArray<TestModule>, unhandledErrors: ReadonlyArray<SerializedError>): void {
    process.stdout.write(`\n${summaryLine(countTestRun(testModules, unhandledErrors.length))}\n`);
  }
}

/** The parts of vitest's reported tasks (TestModule, TestSuite, TestCase) that the count reads. */
export interface CountedTest {
  result(): { state: string };
}
export interface CountedSuite {
  state(): string;
  children: { allTests(): Iterable<CountedTest> };
}
export interface CountedModule extends CountedSuite {
  children: CountedSuite['children'] & { allSuites(): Iterable<CountedSuite> };
}

export interface RunCounts {
  passed: number;
  /** Failed tests plus every failure outside a test, so it is never 0 when anything failed. */
  failed: number;
  skipped: number;
  /** Files (test modules) that failed, by a test or otherwise (an import error, a hook, a timeout). */
  failedFiles: number;
  /** Failures no test owns: unhandled errors, and suites or files that failed with no failed test. */
  errors: number;
}

/**
 * Counts a finished run. A suite whose hook failed (its tests then show as skipped), a file that
 * could not be loaded, and an unhandled error each count as a failure, not as nothing.
 */
export function countTestRun(modules: Iterable<CountedModule>, unhandledErrors: number): RunCounts {
  const counts: RunCounts = { passed: 0, failed: 0, skipped: 0, failedFiles: 0, errors: unhandledErrors };
  const hasFailedTest = (suite: CountedSuite) => [...suite.children.allTests()].some(isFailed);
  for (const module of modules) {
    for (const test of module.children.allTests()) {
      const state = test.result().state;
      if (state === 'passed') counts.passed++;
      else if (state === 'failed') counts.failed++;
      else counts.skipped++;
    }
    const failedSuites = [...module.children.allSuites()].filter((s) => s.state() === 'failed');
    counts.errors += failedSuites.filter((s) => !hasFailedTest(s)).length;
    if (module.state() === 'failed') {
      counts.failedFiles++;
      if (failedSuites.length === 0 && !hasFailedTest(module)) counts.errors++;
    }
  }
  counts.failed += counts.errors;
  return counts;
}

function isFailed(test: CountedTest): boolean {
  return test.result().state === 'failed';
}

/** The closing line: `Tests: 10 passed, 2 failed, 1 skipped (1 failed file, 1 error outside tests)`. */
export function summaryLine(c: RunCounts): string {
  const details = [
    c.failedFiles ? `${c.failedFiles} failed file${c.failedFiles === 1 ? '' : 's'}` : '',
    c.errors ? `${c.errors} error${c.errors === 1 ? '' : 's'} outside tests` : '',
  ].filter(Boolean);
  return (
    `Tests: ${c.passed} passed, ${c.failed} failed${c.skipped ? `, ${c.skipped} skipped` : ''}` +
    (details.length ? ` (${details.join(', ')})` : '')
  );
}

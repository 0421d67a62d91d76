/** The parts of vitest's reported tasks (TestModule, TestSuite, TestCase) that the count reads. */
export interface CountedTest {
  result(): { state: string };
  annotations(): ReadonlyArray<{ type: string; message: string }>;
}
export interface CountedSuite {
  state(): string;
  /** The suite's own errors (a failed beforeAll/afterAll, or for a module an import error). */
  errors(): ReadonlyArray<unknown>;
  children: { allTests(): Iterable<CountedTest> };
}
export interface CountedModule extends CountedSuite {
  children: CountedSuite['children'] & { allSuites(): Iterable<CountedSuite> };
}

/** How the run as a whole ended, as vitest reports it, and how many test files it was to run. */
export interface CountedRun {
  reason: 'passed' | 'failed' | 'interrupted';
  specifications: number;
}

/** The annotation type of a test that could not run its check (see test/support/not-run.ts). */
export const NOT_RUN = 'not-run';

export interface RunCounts {
  passed: number;
  /** Failed tests plus every failure outside a test, so it is never 0 when anything failed. */
  failed: number;
  skipped: number;
  /** Tests that did not run their check for lack of an external tool, and each distinct reason. */
  notRun: number;
  notRunReasons: string[];
  /** Files (test modules) that failed, by a test or otherwise (an import error, a hook, a timeout). */
  failedFiles: number;
  /** Failures no test owns: unhandled errors, failed hooks and imports, a failed global setup. */
  errors: number;
  /** Test files that never ran because the run failed before them (a global setup threw). */
  filesNotRun: number;
  interrupted: boolean;
}

/**
 * Counts a finished run. Each suite or file with errors of its own (a failed hook, whose tests
 * then show as skipped; a file that could not be loaded) counts once, however deeply it is
 * nested; an unhandled error counts; a run that failed before any file ran (a global setup threw)
 * counts. A passed test that says it could not run its check counts as not run, never as passed.
 */
export function countTestRun(
  modules: Iterable<CountedModule>,
  unhandledErrors: number,
  run: CountedRun = { reason: 'passed', specifications: 0 },
): RunCounts {
  const counts: RunCounts = {
    passed: 0,
    failed: 0,
    skipped: 0,
    notRun: 0,
    notRunReasons: [],
    failedFiles: 0,
    errors: unhandledErrors,
    filesNotRun: 0,
    interrupted: run.reason === 'interrupted',
  };
  let moduleCount = 0;
  for (const module of modules) {
    moduleCount++;
    for (const test of module.children.allTests()) {
      const state = test.result().state;
      const notRun = test.annotations().filter((a) => a.type === NOT_RUN);
      if (state === 'passed' && notRun.length > 0) {
        counts.notRun++;
        for (const { message } of notRun)
          if (!counts.notRunReasons.includes(message)) counts.notRunReasons.push(message);
      } else if (state === 'passed') counts.passed++;
      else if (state === 'failed') counts.failed++;
      else counts.skipped++;
    }
    const erring = [module, ...module.children.allSuites()].filter((suite) => suite.errors().length > 0).length;
    counts.errors += erring;
    if (module.state() === 'failed') {
      counts.failedFiles++;
      // Failed with no failed test and no error of its own anywhere: still a failure.
      if (erring === 0 && ![...module.children.allTests()].some(isFailed)) counts.errors++;
    }
  }
  counts.filesNotRun = Math.max(0, run.specifications - moduleCount);
  counts.failed += counts.errors;
  if (run.reason === 'failed' && counts.failed === 0) {
    // vitest says the run failed, yet no file, test or unhandled error shows it: a global setup
    // threw before any file ran (vitest prints its error after the reporters).
    counts.errors++;
    counts.failed++;
  }
  return counts;
}

function isFailed(test: CountedTest): boolean {
  return test.result().state === 'failed';
}

const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? '' : 's'}`;

/**
 * The closing line: `Tests: 10 passed, 2 failed, 1 skipped (1 failed file, 1 error outside tests)`,
 * with what did not run and why (`…, 1 not run; not run: <reason>`).
 */
export function summaryLine(c: RunCounts): string {
  const details = [
    c.failedFiles ? plural(c.failedFiles, 'failed file') : '',
    c.errors ? `${plural(c.errors, 'error')} outside tests` : '',
    c.filesNotRun && c.failed > 0
      ? `${plural(c.filesNotRun, 'test file')} did not run: a global setup failed, its error follows`
      : '',
    c.interrupted ? 'interrupted' : '',
  ].filter(Boolean);
  return (
    `Tests: ${c.passed} passed, ${c.failed} failed${c.skipped ? `, ${c.skipped} skipped` : ''}` +
    (c.notRun ? `, ${c.notRun} not run` : '') +
    (details.length ? ` (${details.join(', ')})` : '') +
    (c.notRunReasons.length ? `; not run: ${c.notRunReasons.join('; ')}` : '')
  );
}

import { describe, expect, it } from 'vitest';
import { countTestRun, summaryLine, type CountedModule, type CountedSuite } from './support/count-test-run.js';

// Task shapes as vitest reports them: modules and suites with a state, tests with a result state.
const test = (state: string) => ({ result: () => ({ state }) });

function suite(state: string, tests: string[]): CountedSuite {
  return { state: () => state, children: { allTests: () => tests.map(test) } };
}

function module(state: string, tests: string[], suites: CountedSuite[] = []): CountedModule {
  const own = tests.map(test);
  return {
    state: () => state,
    children: {
      allTests: () => [...own, ...suites.flatMap((s) => [...s.children.allTests()])],
      allSuites: () => suites,
    },
  };
}

describe('countTestRun', () => {
  it('counts passed, failed and skipped tests', () => {
    const counts = countTestRun([module('failed', ['passed', 'failed', 'skipped']), module('passed', ['passed'])], 0);
    expect(counts).toEqual({ passed: 2, failed: 1, skipped: 1, failedFiles: 1, errors: 0 });
    expect(summaryLine(counts)).toBe('Tests: 2 passed, 1 failed, 1 skipped (1 failed file)');
  });

  it('counts a file that failed with no test (an import error or a global hook) as a failure', () => {
    const counts = countTestRun([module('failed', []), module('passed', ['passed'])], 0);
    expect(counts.failed).toBe(1);
    expect(summaryLine(counts)).toBe('Tests: 1 passed, 1 failed (1 failed file, 1 error outside tests)');
  });

  it('counts a suite whose beforeAll failed (its tests skipped) as a failure', () => {
    const counts = countTestRun([module('failed', [], [suite('failed', ['skipped', 'skipped'])])], 0);
    expect(counts).toEqual({ passed: 0, failed: 1, skipped: 2, failedFiles: 1, errors: 1 });
  });

  it('does not count a suite twice when one of its tests failed', () => {
    const counts = countTestRun([module('failed', [], [suite('failed', ['failed', 'passed'])])], 0);
    expect(counts).toEqual({ passed: 1, failed: 1, skipped: 0, failedFiles: 1, errors: 0 });
  });

  it('counts unhandled errors, even when every test passed', () => {
    const counts = countTestRun([module('passed', ['passed'])], 2);
    expect(counts.failed).toBe(2);
    expect(summaryLine(counts)).toBe('Tests: 1 passed, 2 failed (2 errors outside tests)');
  });

  it('says 0 failed only when nothing failed', () => {
    expect(summaryLine(countTestRun([module('passed', ['passed', 'passed'])], 0))).toBe('Tests: 2 passed, 0 failed');
  });
});

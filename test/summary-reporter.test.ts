import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import {
  countTestRun,
  NOT_RUN,
  summaryLine,
  type CountedModule,
  type CountedSuite,
  type CountedTest,
} from './support/count-test-run.js';

const repoRoot = fileURLToPath(new URL('..', import.meta.url));
const fixtureConfig = 'test/fixtures/summary-run/vitest.config.ts';

/** Runs real vitest over fixture files with the summary reporter; its exit code and closing line. */
function runFixtures(
  files: string[],
  env: Record<string, string> = {},
): Promise<{ code: number | null; line: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(
      process.execPath,
      ['node_modules/vitest/vitest.mjs', 'run', '--config', fixtureConfig, ...files],
      {
        cwd: repoRoot,
        // A clean environment: nothing of the parent vitest run leaks into the child's.
        env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', NO_COLOR: '1', ...env },
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    let stdout = '';
    child.stdout.on('data', (chunk: Buffer) => {
      stdout += chunk.toString();
    });
    child.stderr.resume();
    child.on('error', reject);
    child.on('close', (code) => {
      const lines = stdout.split('\n').filter((line) => line.startsWith('Tests: '));
      resolve({ code, line: lines.at(-1) ?? `(no summary line in: ${stdout.slice(-2000)})` });
    });
  });
}

describe('the summary line of a real vitest run', () => {
  it('counts a failed beforeAll of a nested suite once, and its tests as skipped', async () => {
    const run = await runFixtures(['nested-before-all', 'passing']);
    expect(run.line).toBe('Tests: 2 passed, 1 failed, 2 skipped (1 failed file, 1 error outside tests)');
    expect(run.code).toBe(1);
  }, 120_000);

  it('says a global setup failed, with the files that did not run, and exits 1', async () => {
    const run = await runFixtures(['nested-before-all', 'passing'], { FIXTURE_GLOBAL_SETUP: 'fail' });
    expect(run.line).toBe(
      'Tests: 0 passed, 1 failed (1 error outside tests, 2 test files did not run: a global setup failed, its error follows)',
    );
    expect(run.code).toBe(1);
  }, 120_000);

  it('names a check that could not run for lack of its tool and the setting that provides it, without failing', async () => {
    const missing = '/nonexistent/shared/bin/oci-conformance';
    const run = await runFixtures(['not-run', 'passing'], { OCI_CONFORMANCE_BIN: missing });
    expect(run.line).toBe(
      `Tests: 1 passed, 0 failed, 1 not run; not run: OCI conformance: OCI_CONFORMANCE_BIN=${missing} is not an ` +
        'executable file; set it to the OCI distribution-spec conformance suite (a build of v1.1.1)',
    );
    expect(run.code).toBe(0);
  }, 120_000);

  it('counts the check as passed when the setting names an executable', async () => {
    const run = await runFixtures(['not-run'], { OCI_CONFORMANCE_BIN: process.execPath });
    expect(run.line).toBe('Tests: 1 passed, 0 failed');
    expect(run.code).toBe(0);
  }, 120_000);
});

// Task shapes as vitest reports them, for the cases a fixture run cannot easily produce.
const test = (state: string, annotations: { type: string; message: string }[] = []): CountedTest => ({
  result: () => ({ state }),
  annotations: () => annotations,
});

function suite(state: string, tests: CountedTest[], errors: unknown[] = []): CountedSuite {
  return { state: () => state, errors: () => errors, children: { allTests: () => tests } };
}

function module(
  state: string,
  tests: CountedTest[],
  suites: CountedSuite[] = [],
  errors: unknown[] = [],
): CountedModule {
  return {
    state: () => state,
    errors: () => errors,
    children: {
      allTests: () => [...tests, ...suites.flatMap((s) => [...s.children.allTests()])],
      allSuites: () => suites,
    },
  };
}

describe('countTestRun', () => {
  it('counts a file that could not be loaded (its own error) as a failure', () => {
    const counts = countTestRun(
      [module('failed', [], [], [new Error('import')]), module('passed', [test('passed')])],
      0,
    );
    expect(summaryLine(counts)).toBe('Tests: 1 passed, 1 failed (1 failed file, 1 error outside tests)');
  });

  it('does not count a suite twice when one of its tests failed', () => {
    const counts = countTestRun([module('failed', [], [suite('failed', [test('failed'), test('passed')])])], 0);
    expect(summaryLine(counts)).toBe('Tests: 1 passed, 1 failed (1 failed file)');
  });

  it('counts a failed file that shows no error anywhere as one failure', () => {
    const counts = countTestRun([module('failed', [test('skipped')])], 0);
    expect(summaryLine(counts)).toBe('Tests: 0 passed, 1 failed, 1 skipped (1 failed file, 1 error outside tests)');
  });

  it('counts unhandled errors, even when every test passed', () => {
    const counts = countTestRun([module('passed', [test('passed')])], 2);
    expect(summaryLine(counts)).toBe('Tests: 1 passed, 2 failed (2 errors outside tests)');
  });

  it('names each reason a check did not run once', () => {
    const why = { type: NOT_RUN, message: 'tool: set TOOL_BIN' };
    const counts = countTestRun([module('passed', [test('passed', [why]), test('passed', [why]), test('passed')])], 0);
    expect(summaryLine(counts)).toBe('Tests: 1 passed, 0 failed, 2 not run; not run: tool: set TOOL_BIN');
  });

  it('says 0 failed only when nothing failed', () => {
    const run = { reason: 'passed' as const, specifications: 1 };
    expect(summaryLine(countTestRun([module('passed', [test('passed'), test('passed')])], 0, run))).toBe(
      'Tests: 2 passed, 0 failed',
    );
  });
});

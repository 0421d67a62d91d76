import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startLongshore, type Longshore } from '../support/longshore-harness.js';
import { reportNotRun } from '../support/not-run.js';
import { findTool, ociConformanceTool } from '../support/shared-tools.js';

const run = promisify(execFile);

/** The totals of the suite's JUnit report (`<testsuites tests= disabled= failures= errors=>`). */
function junitTotals(xml: string): { tests: number; skipped: number; failures: number; errors: number } {
  const suite = /<testsuite\s[^>]*>/.exec(xml)?.[0] ?? '';
  const number = (attribute: string) => Number(new RegExp(`\\s${attribute}="(\\d+)"`).exec(suite)?.[1] ?? NaN);
  return { tests: number('tests'), skipped: number('skipped'), failures: number('failures'), errors: number('errors') };
}

// The OCI distribution-spec conformance suite (a build of the public v1.1.1 suite) against the
// real service: every workflow (pull, push, content discovery, content management), cross-mount
// included. It must pass with zero failures (CNCF distribution v3.0.0 fails 6 of its specs here).
describe('OCI distribution-spec conformance (OCI_CONFORMANCE_BIN, default shared/bin/oci-conformance)', () => {
  let longshore: Longshore;
  let reportDir: string;

  beforeAll(async () => {
    longshore = await startLongshore();
    reportDir = await mkdtemp(path.join(os.tmpdir(), 'longshore-oci-conformance-'));
  });
  afterAll(async () => {
    await longshore?.close();
    if (reportDir) await rm(reportDir, { recursive: true, force: true });
  });

  it('passes every spec of all four workflows', { timeout: 300_000 }, async ({ annotate }) => {
    const binary = await findTool(ociConformanceTool);
    if (binary.path === undefined) {
      await reportNotRun({ annotate }, `OCI conformance: ${binary.absent}`);
      return;
    }
    const output = await run(binary.path, ['-test.v'], {
      cwd: reportDir,
      timeout: 280_000,
      maxBuffer: 64 * 1024 * 1024,
      env: {
        PATH: process.env.PATH ?? '',
        HOME: reportDir,
        OCI_ROOT_URL: longshore.endpoint,
        // Authentication is on: the suite logs in as ECR clients do, with a login token.
        OCI_USERNAME: 'AWS',
        OCI_PASSWORD: await longshore.loginToken(),
        OCI_NAMESPACE: 'conformance/main',
        OCI_CROSSMOUNT_NAMESPACE: 'conformance/cross-mount',
        OCI_TEST_PULL: '1',
        OCI_TEST_PUSH: '1',
        OCI_TEST_CONTENT_DISCOVERY: '1',
        OCI_TEST_CONTENT_MANAGEMENT: '1',
        OCI_REPORT_DIR: reportDir,
      },
    }).then(
      ({ stdout }) => stdout,
      (err: { stdout?: string; message: string }) => err.stdout ?? err.message,
    );
    // biome-ignore lint/suspicious/noControlCharactersInRegex: strips the suite's terminal colours
    const plain = output.replace(/\x1b\[[0-9;]*m/g, '');
    const failed = plain.split('\n').filter((line) => line.includes('[FAIL]'));
    const summary = /Ran \d+ of \d+ Specs.*\n.*/.exec(plain)?.[0] ?? '(no summary)';
    console.log(`oci-conformance: ${summary.replace(/\s+/g, ' ')}`);

    const totals = junitTotals(await readFile(path.join(reportDir, 'junit.xml'), 'utf8'));
    expect(failed, plain.slice(-4000)).toEqual([]);
    expect(totals.failures).toBe(0);
    expect(totals.errors).toBe(0);
    // Every spec that applies ran: 74 of the suite's 79 (the other five are for registries with
    // automatic cross-mount, for a cross-mount answered 202, or for a run without push setup).
    expect(totals.tests - totals.skipped).toBeGreaterThanOrEqual(74);
    expect(plain).toMatch(/SUCCESS! -- 74 Passed \| 0 Failed/);
  });
});

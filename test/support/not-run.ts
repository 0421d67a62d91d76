import type { TestContext } from 'vitest';
import { NOT_RUN } from './count-test-run.js';

/**
 * Marks a test whose check could not run for lack of an external tool. The test ends without
 * failing, and the closing summary line counts it as "not run" (never as passed) and repeats the
 * reason, which must say how to provide the tool. Only for tools outside the project, never to
 * step around a failure.
 */
export async function reportNotRun(context: Pick<TestContext, 'annotate'>, reason: string): Promise<void> {
  await context.annotate(reason, NOT_RUN);
  process.stderr.write(`[not run] ${reason}\n`);
}

/**
 * The not-run gate of a test file whose tests all need one external tool: `absent(why)` once the
 * lookup failed, then each test starts with `if (await gate.notRun(ctx)) return;`, which reports
 * it as not run (`<label>: <why>`) while the tool is absent.
 */
export function notRunGate(label: string): {
  absent(why: string): void;
  notRun(context: Pick<TestContext, 'annotate'>): Promise<boolean>;
} {
  let missing: string | undefined;
  return {
    absent(why) {
      missing = why;
    },
    async notRun(context) {
      if (missing === undefined) return false;
      await reportNotRun(context, `${label}: ${missing}`);
      return true;
    },
  };
}

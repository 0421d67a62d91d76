import { describe, expect, it } from 'vitest';
import { quickSizes, runBench, scenarioNames } from '@longshore/bench';

const MiB = 1024 * 1024;

/**
 * A tiny run of `npm run bench`: every scenario goes through its whole path (its own service,
 * load, figures, report) on small sizes. It checks the bench works, not the targets: those are
 * measured by `npm run bench` itself, never in the test suite.
 */
describe('npm run bench (smoke sizes)', () => {
  it('runs every scenario to completion and reports every figure', async () => {
    const report = await runBench({
      quick: true,
      sizes: {
        ...quickSizes,
        smallPushSeconds: 1,
        smallPushClients: 8,
        largeLayerBytes: 12 * MiB,
        fourLayersBytes: 11 * MiB,
        fullVerifyBytes: 12 * MiB,
        memoryLayerBytes: 12 * MiB,
        sha256ReferenceBytes: 16 * MiB,
        diskReferenceBytes: 16 * MiB,
      },
    });
    expect(report.scenarios.map((s) => s.scenario)).toEqual([...scenarioNames]);
    for (const scenario of report.scenarios) {
      expect(scenario.errors, scenario.scenario).toEqual([]);
      expect(scenario.unexpectedExits, scenario.scenario).toEqual([]);
      expect(scenario.completedRuns, scenario.scenario).toBe(1);
      expect(scenario.figures.length, scenario.scenario).toBeGreaterThan(0);
      for (const figure of scenario.figures)
        expect(Number.isFinite(figure.median), `${scenario.scenario} ${figure.name}`).toBe(true);
    }
    expect(report.machine.sha256MBps).toBeGreaterThan(0);
  }, 180_000);
});

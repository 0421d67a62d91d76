import { accessSync, constants } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { quickSizes, runBench, scenarioNames } from '@longshore/bench';

const MiB = 1024 * 1024;

/** Scenarios of Longshore's /v2 door: reported n/a, not failed, while the service has none. */
const V2_SCENARIOS = new Set(['small-pushes-v2', 'large-layer-v2', 'memory-v2']);

/** The reference registry the issue names, where this machine has it (CI: shared/ beside the clone). */
function peerRegistry(): string | undefined {
  const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
  for (const candidate of [process.env.BENCH_PEER_REGISTRY, path.join(root, '../shared/bin/registry-3')]) {
    if (!candidate) continue;
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      // not here
    }
  }
  return undefined;
}

const tinySizes = {
  ...quickSizes,
  smallPushSeconds: 1,
  smallPushClients: 8,
  largeLayerBytes: 12 * MiB,
  fourLayersBytes: 11 * MiB,
  fullVerifyBytes: 12 * MiB,
  memoryLayerBytes: 12 * MiB,
  sha256ReferenceBytes: 16 * MiB,
  diskReferenceBytes: 16 * MiB,
};

/**
 * A tiny run of `npm run bench`: every scenario goes through its whole path (its own service,
 * load, figures, report) on small sizes. It checks the bench works, not the targets: those are
 * measured by `npm run bench` itself, never in the test suite.
 */
describe('npm run bench (smoke sizes)', () => {
  it('runs every scenario to completion and reports every figure', async () => {
    const report = await runBench({ quick: true, sizes: tinySizes });
    expect(report.scenarios.map((s) => s.scenario)).toEqual([...scenarioNames]);
    for (const scenario of report.scenarios) {
      expect(scenario.errors, scenario.scenario).toEqual([]);
      if (scenario.skipped !== undefined) {
        // Only the /v2 scenarios may be n/a, and only because the service has no /v2 API.
        expect(V2_SCENARIOS.has(scenario.scenario), scenario.scenario).toBe(true);
        expect(scenario.skipped).toMatch(/answers 404 on GET \/v2\/: no \/v2 API/);
        continue;
      }
      expect(scenario.unexpectedExits, scenario.scenario).toEqual([]);
      expect(scenario.completedRuns, scenario.scenario).toBe(1);
      expect(scenario.figures.length, scenario.scenario).toBeGreaterThan(0);
      for (const figure of scenario.figures)
        expect(Number.isFinite(figure.median), `${scenario.scenario} ${figure.name}`).toBe(true);
    }
    expect(report.machine.sha256MBps).toBeGreaterThan(0);
  }, 180_000);

  it.runIf(peerRegistry())(
    'runs the same workloads against the reference registry and reports the ratios',
    async () => {
      const report = await runBench({
        quick: true,
        sizes: tinySizes,
        scenarios: ['small-pushes', 'large-layer-v2', 'memory'],
        peerRegistry: peerRegistry()!,
      });
      expect(report.peerRegistry).toBe(peerRegistry());
      for (const scenario of report.scenarios) {
        expect(scenario.errors, scenario.scenario).toEqual([]);
        expect(scenario.peerDetails?.length, scenario.scenario).toBe(1);
      }
      const figure = (scenario: string, name: string) =>
        report.scenarios.find((s) => s.scenario === scenario)!.figures.find((f) => f.name === name)!;
      expect(figure('small-pushes', 'pushesPerSecond').peerMedian).toBeGreaterThan(0);
      expect(figure('small-pushes', 'pushesPerSecond').timesPeer).toBeGreaterThan(0);
      expect(figure('small-pushes', 'errors').peerMedian).toBe(0);
      expect(figure('large-layer-v2', 'uploadMBps').peerMedian).toBeGreaterThan(0);
      expect(figure('large-layer-v2', 'completeMs').peerMedian).toBeGreaterThan(0);
      expect(figure('memory', 'apiPeakMiB').peerMedian).toBeGreaterThan(0);
      expect(figure('memory', 'apiPeakMiB').timesPeer).toBeGreaterThan(0);
    },
    180_000,
  );
});

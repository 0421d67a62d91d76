import { describe, expect, it } from 'vitest';
import { quickSizes, runBench, scenarioNames } from '@longshore/bench';
import { reportNotRun } from '../support/not-run.js';
import { findTool, peerRegistryTool } from '../support/shared-tools.js';

const MiB = 1024 * 1024;

const tinySizes = {
  ...quickSizes,
  // Two seconds: on a loaded machine a push can take over a second, and each figure needs pushes
  // that started inside the window.
  smallPushSeconds: 2,
  smallPushClients: 8,
  largeLayerBytes: 12 * MiB,
  fourLayersBytes: 11 * MiB,
  fullVerifyBytes: 12 * MiB,
  memoryLayerBytes: 12 * MiB,
  pullThroughLayerBytes: 12 * MiB,
  listingImages: 2_000,
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
      // The service has a /v2 door, so no scenario is n/a.
      expect(scenario.skipped, scenario.scenario).toBeUndefined();
      expect(scenario.unexpectedExits, scenario.scenario).toEqual([]);
      expect(scenario.completedRuns, scenario.scenario).toBe(1);
      expect(scenario.figures.length, scenario.scenario).toBeGreaterThan(0);
      for (const figure of scenario.figures)
        expect(Number.isFinite(figure.median), `${scenario.scenario} ${figure.name}`).toBe(true);
    }
    expect(report.machine.sha256MBps).toBeGreaterThan(0);
    // Authentication is on by default: the clients signed and logged in with a key of their own.
    expect(report.auth).toBe('sigv4');
    const figures = (name: string) => report.scenarios.find((s) => s.scenario === name)!.figures;
    for (const scenario of ['small-pushes', 'small-pushes-v2', 'large-layer', 'four-large-layers', 'memory-v2'])
      expect(figures(scenario).find((f) => f.name === 'cpuMsPerPush')?.median, scenario).toBeGreaterThan(0);
    // The small pushes say how the workers' finalize jobs carried them, and each process's kernel time.
    for (const scenario of ['small-pushes', 'small-pushes-v2']) {
      const detail = report.scenarios.find((s) => s.scenario === scenario)!.details[0]!;
      const batches = detail.finalizeBatches as { jobs: number; uploads: number };
      expect(batches.jobs, scenario).toBeGreaterThan(0);
      expect(batches.uploads, scenario).toBeGreaterThanOrEqual(detail.pushesCompleted as number);
      expect(Object.keys(detail.cpuSystemPercent as object), scenario).toEqual(
        Object.keys(detail.cpuPercent as object),
      );
    }
    // The comparison ran both services: a ratio of two measured rates.
    for (const door of ['ecr', 'v2']) {
      const on = figures('auth-on-vs-off').find((f) => f.name === `${door}PushesPerSecond`)!.median;
      const off = figures('auth-on-vs-off').find((f) => f.name === `${door}OffPushesPerSecond`)!.median;
      expect(on).toBeGreaterThan(0);
      expect(off).toBeGreaterThan(0);
      expect(figures('auth-on-vs-off').find((f) => f.name === `${door}OnOffRatio`)!.median).toBeCloseTo(on / off, 6);
    }
  }, 600_000);

  it('runs the same workloads against the reference registry and reports the ratios', async ({ annotate }) => {
    // The reference registry: BENCH_PEER_REGISTRY, or shared/bin/registry-3 (CI keeps shared/
    // beside the clone). Absent, this check does not run and the summary line says so.
    const found = await findTool(peerRegistryTool);
    if (found.path === undefined) {
      await reportNotRun({ annotate }, `bench against the reference registry: ${found.absent}`);
      return;
    }
    const peer = found.path;
    const report = await runBench({
      quick: true,
      sizes: tinySizes,
      scenarios: ['small-pushes', 'large-layer-v2', 'memory'],
      peerRegistry: peer,
    });
    expect(report.peerRegistry).toBe(peer);
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
    expect(figure('small-pushes', 'cpuMsPerPush').peerMedian).toBeGreaterThan(0);
    expect(figure('small-pushes', 'cpuMsPerPush').timesPeer).toBeGreaterThan(0);
  }, 180_000);
});

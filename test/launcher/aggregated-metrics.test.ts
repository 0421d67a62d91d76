import { CreateRepositoryCommand, DescribeRepositoriesCommand } from '@aws-sdk/client-ecr';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startLauncher, type LauncherRun } from '../support/launcher-harness.js';
import { pushLayer, randomLayer } from '../support/layer-data.js';
import { sampleSum, scrapeMetrics, type Scrape } from '../support/prometheus-text.js';

const REQUESTS = 240;
const CONCURRENCY = 24;

/**
 * `npm start` with two API processes behind one port: the launcher's METRICS_PORT is one view
 * of the instance, each counter the sum of the processes' own counters, read the same on every
 * scrape (no process's count seen alone, so `rate()` sees no false resets).
 */
describe('the aggregated /metrics of npm start', () => {
  let run: LauncherRun;
  beforeAll(async () => {
    run = await startLauncher({ env: { API_PROCESSES: '2', WORKER_PROCESSES: '2' } });
  });
  afterAll(() => run?.close());

  /** Each API process's own operations listener, as its 'API listening' log line names it. */
  function apiProcessMetricsUrls(): string[] {
    const ports = run.lines.filter((l) => l.msg === 'API listening').map((l) => l.metricsPort as number);
    return [...new Set(ports)].map((port) => `http://127.0.0.1:${port}/metrics`);
  }

  const describes = (s: Scrape) =>
    sampleSum(s, 'longshore_api_requests_total', { operation: 'DescribeRepositories', outcome: 'ok', role: 'api' });

  it('sums a counter over both API processes under load, exactly, and reads the same on every scrape', async () => {
    await run.ecr.send(new CreateRepositoryCommand({ repositoryName: 'metrics/agg' }));
    const perProcessUrls = apiProcessMetricsUrls();
    expect(perProcessUrls).toHaveLength(2);
    const before = await scrapeMetrics(run.metricsUrl);
    const perProcessBefore = await Promise.all(perProcessUrls.map((u) => scrapeMetrics(u)));

    // Load: many concurrent connections, spread by the cluster over both processes, and a push.
    let sent = 0;
    await Promise.all([
      ...Array.from({ length: CONCURRENCY }, async () => {
        while (sent < REQUESTS) {
          sent += 1;
          await run.ecr.send(new DescribeRepositoriesCommand({}));
        }
      }),
      pushLayer(run.ecr, 'metrics/agg', randomLayer(256 * 1024)),
    ]);

    const after = await scrapeMetrics(run.metricsUrl);
    const perProcessAfter = await Promise.all(perProcessUrls.map((u) => scrapeMetrics(u)));
    const perProcess = perProcessAfter.map((s, i) => describes(s) - describes(perProcessBefore[i]!));
    // Both processes served part of the load, and the launcher's view is exactly their sum.
    expect(perProcess.every((n) => n > 0)).toBe(true);
    expect(perProcess[0]! + perProcess[1]!).toBe(REQUESTS);
    expect(describes(after) - describes(before)).toBe(REQUESTS);
    const bytes = (s: Scrape) => sampleSum(s, 'longshore_api_received_bytes_total');
    expect(bytes(after) - bytes(before)).toBe(256 * 1024);

    // Without traffic, successive scrapes agree (one process's count is never served alone).
    const again = await Promise.all([1, 2, 3, 4].map(() => scrapeMetrics(run.metricsUrl)));
    expect(again.map(describes)).toEqual([describes(after), describes(after), describes(after), describes(after)]);
  });

  it('keeps the standard Node metric names, one series per role, and the shared queue depth once', async () => {
    const scrape = await scrapeMetrics(run.metricsUrl);
    expect(scrape.families.get('process_cpu_seconds_total')?.type).toBe('counter');
    expect(scrape.families.has('nodejs_eventloop_lag_seconds')).toBe(true);
    expect([...scrape.families.keys()].filter((n) => /^longshore_(process|nodejs)_/.test(n))).toEqual([]);
    const roles = scrape.samples.filter((s) => s.name === 'process_cpu_seconds_total').map((s) => s.labels.role);
    expect(roles.sort()).toEqual(['api', 'worker']);
    // Two workers each report the one queue: the view shows it once, not doubled.
    expect(
      scrape.samples.filter((s) => s.name === 'longshore_queue_jobs' && s.labels.state === 'waiting'),
    ).toHaveLength(1);
    // The API port serves no metrics; the launcher's METRICS_PORT answers the probes too.
    expect((await fetch(`${run.endpoint}/metrics`)).status).toBe(404);
    expect((await fetch(run.metricsUrl.replace('/metrics', '/readyz'))).status).toBe(200);
  });
});

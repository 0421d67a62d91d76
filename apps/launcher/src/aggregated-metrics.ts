import { AggregatorRegistry } from 'prom-client';
import { requestMetrics } from '@longshore/telemetry';
import type { SupervisedProcess } from './supervised-process.js';

const CHILD_ANSWER_MS = 5_000;

/**
 * One Prometheus view of the whole instance: every running child's metrics, asked over IPC and
 * aggregated by prom-client's AggregatorRegistry (counters and histograms summed per label set,
 * the `role` label keeping API and worker series apart; gauges by their own rule). A child that
 * is restarting is missing from that scrape, so its counters drop back: `rate()` reads it as the
 * reset it is.
 */
export async function aggregatedMetrics(children: SupervisedProcess[]): Promise<{ contentType: string; body: string }> {
  const answers = await Promise.all(
    children.map((c) => (c.running ? requestMetrics(c.running, CHILD_ANSWER_MS) : Promise.resolve(undefined))),
  );
  const registry = AggregatorRegistry.aggregate(answers.filter((a) => a !== undefined));
  return { contentType: registry.contentType, body: await registry.metrics() };
}

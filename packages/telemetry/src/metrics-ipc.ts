import type { ChildProcess } from 'node:child_process';
import type { MetricObjectWithValues, MetricValue, Registry } from 'prom-client';

type MetricsJson = MetricObjectWithValues<MetricValue<string>>[];

const REQUEST = 'longshore:metrics-request';
const ANSWER = 'longshore:metrics';

interface MetricsRequest {
  type: typeof REQUEST;
  id: number;
}

interface MetricsAnswer {
  type: typeof ANSWER;
  id: number;
  metrics: MetricsJson;
}

/**
 * In a child of the launcher: answers the launcher's metric requests with this process's
 * metrics as JSON, which the launcher aggregates into one view of the instance.
 */
export function answerMetricRequests(registry: Registry): void {
  if (!process.send) return;
  process.on('message', (message: unknown) => {
    const request = message as Partial<MetricsRequest> | null;
    if (request?.type !== REQUEST || typeof request.id !== 'number') return;
    const id = request.id;
    registry.getMetricsAsJSON().then(
      (metrics) => process.send?.({ type: ANSWER, id, metrics } satisfies MetricsAnswer),
      () => process.send?.({ type: ANSWER, id, metrics: [] } satisfies MetricsAnswer),
    );
  });
}

let nextId = 1;

/** In the launcher: one child's metrics as JSON, or undefined when it does not answer in time. */
export async function requestMetrics(child: ChildProcess, timeoutMs: number): Promise<MetricsJson | undefined> {
  if (!child.connected) return undefined;
  const id = nextId++;
  return new Promise((resolve) => {
    const done = (metrics: MetricsJson | undefined) => {
      clearTimeout(timer);
      child.off('message', onMessage);
      child.off('exit', onExit);
      resolve(metrics);
    };
    const onMessage = (message: unknown) => {
      const answer = message as Partial<MetricsAnswer> | null;
      if (answer?.type === ANSWER && answer.id === id) done(answer.metrics ?? []);
    };
    const onExit = () => done(undefined);
    const timer = setTimeout(() => done(undefined), timeoutMs);
    child.on('message', onMessage);
    child.once('exit', onExit);
    child.send({ type: REQUEST, id } satisfies MetricsRequest, (err) => {
      if (err) done(undefined);
    });
  });
}

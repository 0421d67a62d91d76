import { Registry, collectDefaultMetrics } from 'prom-client';

/**
 * A fresh registry per process role, with Node's default metrics under their standard names
 * (`process_cpu_seconds_total`, `nodejs_eventloop_lag_seconds`, ...) so stock dashboards match.
 */
export function createMetricsRegistry(role: 'api' | 'worker'): Registry {
  const registry = new Registry();
  registry.setDefaultLabels({ role });
  collectDefaultMetrics({ register: registry });
  return registry;
}

import { Registry, collectDefaultMetrics } from 'prom-client';

/** A fresh registry per process role, with Node's default metrics under the `longshore_` prefix. */
export function createMetricsRegistry(role: 'api' | 'worker'): Registry {
  const registry = new Registry();
  registry.setDefaultLabels({ role });
  collectDefaultMetrics({ register: registry, prefix: 'longshore_' });
  return registry;
}

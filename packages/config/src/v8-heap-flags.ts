import type { Config } from './config-spec.js';

/**
 * The V8 flags an API or worker process sets on itself at start (`v8.setFlagsFromString`): V8
 * reads the old generation's growing factor at every full GC, so it takes effect although the
 * heap already exists, and NODE_OPTIONS does not accept it. Measured with the bench: under
 * load V8 let the old generation reach 2–3× its live data before collecting it (API 48 MiB old
 * space with ~20 MiB live during small pushes, worker 64 MiB during a lifecycle evaluation).
 * The default (100) lets it reach 2×: at 50 an API process ran a full GC every ~180 small pushes
 * (about 15 % of its CPU; issue 17, cpu27). See docs/performance.md.
 */
export function v8HeapFlags(config: Pick<Config, 'v8HeapGrowingPercent'>): string[] {
  return config.v8HeapGrowingPercent > 0 ? [`--heap-growing-percent=${config.v8HeapGrowingPercent}`] : [];
}

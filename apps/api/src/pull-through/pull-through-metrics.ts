import { Counter, type Registry } from 'prom-client';

/** The pull-through cache's metrics; labels are bounded (kind, reason). */
export function createPullThroughMetrics(registry: Registry) {
  return {
    hits: new Counter({
      name: 'longshore_pull_through_cache_hits_total',
      help: 'Pulls through a pull-through cache rule answered from the cache, by kind (manifest, blob)',
      labelNames: ['kind'],
      registers: [registry],
    }),
    misses: new Counter({
      name: 'longshore_pull_through_cache_misses_total',
      help: 'Pulls through a pull-through cache rule that went to the upstream, by kind (manifest, blob)',
      labelNames: ['kind'],
      registers: [registry],
    }),
    upstreamBytes: new Counter({
      name: 'longshore_pull_through_upstream_bytes_total',
      help: 'Bytes of blobs read from upstream registries',
      registers: [registry],
    }),
    upstreamErrors: new Counter({
      name: 'longshore_pull_through_upstream_errors_total',
      help: 'Upstream registry failures, by reason (unreachable, timeout, unauthorized, status, digest-mismatch, invalid)',
      labelNames: ['reason'],
      registers: [registry],
    }),
  };
}

export type PullThroughMetrics = ReturnType<typeof createPullThroughMetrics>;

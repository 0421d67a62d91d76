import { Counter, Gauge, Histogram, type Registry } from 'prom-client';

/** The API's metrics. Labels are bounded: operation names, outcomes and ECR error names only. */
export function createApiMetrics(registry: Registry, sources: { inflightWaits(): number }) {
  return {
    requests: new Counter({
      name: 'longshore_api_requests_total',
      help: 'API requests by operation and outcome (ok or the ECR error name)',
      labelNames: ['operation', 'outcome'],
      registers: [registry],
    }),
    requestDuration: new Histogram({
      name: 'longshore_api_request_duration_seconds',
      help: 'API request duration by operation and outcome',
      labelNames: ['operation', 'outcome'],
      buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60],
      registers: [registry],
    }),
    receivedBytes: new Counter({
      name: 'longshore_api_received_bytes_total',
      help: 'Layer bytes received in parts',
      registers: [registry],
    }),
    uploadsStarted: new Counter({
      name: 'longshore_uploads_started_total',
      help: 'Uploads initiated',
      registers: [registry],
    }),
    uploadsCompleted: new Counter({
      name: 'longshore_uploads_completed_total',
      help: 'Completions answered with success',
      registers: [registry],
    }),
    uploadsFailed: new Counter({
      name: 'longshore_uploads_failed_total',
      help: 'Completions answered with an error, by ECR error name',
      labelNames: ['error'],
      registers: [registry],
    }),
    authFailures: new Counter({
      name: 'longshore_auth_failures_total',
      help: 'Failed authentications by door (ecr, v1, v2) and reason (the error name)',
      labelNames: ['door', 'reason'],
      registers: [registry],
    }),
    authThrottled: new Counter({
      name: 'longshore_auth_throttled_total',
      help: 'Requests refused because their source or key failed authentication too often, or spent its quota',
      labelNames: ['door', 'cause'],
      registers: [registry],
    }),
    partHashGuesses: new Counter({
      name: 'longshore_ecr_part_hash_guesses_total',
      help: 'Large UploadLayerPart parts hashed as their body arrived, from the layer state the connection last left: hit (used) or miss (hashed again from the claim)',
      labelNames: ['outcome'],
      registers: [registry],
    }),
    pullsRecorded: new Counter({
      name: 'longshore_image_pulls_recorded_total',
      help: 'Manifest pull times written (at most one per image per PULL_RECORD_INTERVAL_SECONDS)',
      registers: [registry],
    }),
    inflightWaits: new Gauge({
      name: 'longshore_api_inflight_waits',
      help: 'Requests waiting for an upload status change (completions and long polls)',
      registers: [registry],
      collect() {
        this.set(sources.inflightWaits());
      },
    }),
  };
}

export type ApiMetrics = ReturnType<typeof createApiMetrics>;

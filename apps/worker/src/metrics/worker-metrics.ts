import { Counter, Gauge, Histogram, type Registry } from 'prom-client';

/** Values read at scrape time. */
export interface WorkerMetricSources {
  hashPoolUtilization(): number;
  queueCounts(): Promise<Record<string, number>>;
  /** The events queue's jobs by state (waiting, delayed, active, failed). */
  eventCounts?(): Promise<Record<string, number>>;
  /** Per queue name, when its oldest waiting job was added (epoch ms), or undefined when none waits. */
  oldestWaiting?(): Promise<Record<string, number | undefined>>;
  /** Bytes of the blobs indexed (BlobIndex.storedBytes). */
  storedBlobBytes?(): Promise<number>;
  now?(): number;
}

/** The worker's metrics. Labels are bounded: outcomes, ECR error names, queue states, storage drivers. */
export function createWorkerMetrics(registry: Registry, sources: WorkerMetricSources) {
  return {
    finalizeDuration: new Histogram({
      name: 'longshore_worker_finalize_duration_seconds',
      help: 'Time to finalize one layer, by outcome (buckets reach multi-GiB layers)',
      labelNames: ['outcome'],
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600],
      registers: [registry],
    }),
    batchSize: new Histogram({
      name: 'longshore_finalize_batch_size',
      help: 'Uploads one finalize job carried (group commit), per job run',
      buckets: [1, 2, 4, 8, 16, 32, 64, 128, 256],
      registers: [registry],
    }),
    verifiedBytes: new Counter({
      name: 'longshore_worker_verified_bytes_total',
      help: 'Stored bytes checked against the checksums recorded at upload',
      registers: [registry],
    }),
    jobs: new Counter({
      name: 'longshore_worker_jobs_total',
      help: 'Uploads finalized, by outcome (completed, failed, retry) and ECR error name',
      labelNames: ['outcome', 'error'],
      registers: [registry],
    }),
    retries: new Counter({
      name: 'longshore_worker_retries_total',
      help: 'Finalize attempts that failed transiently and will be retried',
      registers: [registry],
    }),
    stalled: new Counter({
      name: 'longshore_worker_stalled_jobs_total',
      help: 'Jobs whose worker stopped renewing their lock and were taken back',
      registers: [registry],
    }),
    gcReclaimedBytes: new Counter({
      name: 'longshore_worker_gc_reclaimed_bytes_total',
      help: 'Bytes of blobs garbage collection deleted, by storage driver',
      labelNames: ['driver'],
      registers: [registry],
    }),
    gcDeletedBlobs: new Counter({
      name: 'longshore_worker_gc_deleted_blobs_total',
      help: 'Blobs garbage collection deleted, by storage driver',
      labelNames: ['driver'],
      registers: [registry],
    }),
    hashUtilization: new Gauge({
      name: 'longshore_worker_hash_pool_utilization_ratio',
      help: 'Share of the verification thread pool busy (0..1)',
      registers: [registry],
      // Aggregated over the workers of `npm start`: the mean, not the sum.
      aggregator: 'average',
      collect() {
        this.set(sources.hashPoolUtilization());
      },
    }),
    hashThreads: new Gauge({
      name: 'longshore_worker_hash_pool_threads',
      help: 'Threads in the verification pool',
      registers: [registry],
    }),
    queueJobs: new Gauge({
      name: 'longshore_queue_jobs',
      help: 'Finalize jobs in the queue by state',
      labelNames: ['state'],
      registers: [registry],
      // Every worker reports the one shared queue: aggregated over the workers of `npm start`, once.
      aggregator: 'max',
      async collect() {
        for (const [state, count] of Object.entries(await sources.queueCounts())) this.set({ state }, count);
      },
    }),
    queueOldestWaiting: new Gauge({
      name: 'longshore_queue_oldest_waiting_seconds',
      help: 'Age of the oldest job waiting for a worker, by queue (0 when none waits)',
      labelNames: ['queue'],
      registers: [registry],
      // Every worker reads the same shared queues: aggregated over the workers of `npm start`, once.
      aggregator: 'max',
      async collect() {
        if (!sources.oldestWaiting) return;
        const now = sources.now?.() ?? Date.now();
        for (const [queue, addedAt] of Object.entries(await sources.oldestWaiting())) {
          this.set({ queue }, addedAt === undefined ? 0 : Math.max(0, (now - addedAt) / 1000));
        }
      },
    }),
    storedBlobBytes: new Gauge({
      name: 'longshore_stored_blob_bytes',
      help: 'Bytes of the blobs stored (counted when a digest is first indexed, taken off when GC deletes it)',
      registers: [registry],
      aggregator: 'max',
      async collect() {
        if (sources.storedBlobBytes) this.set(await sources.storedBlobBytes());
      },
    }),
    eventsDelivered: new Counter({
      name: 'longshore_events_delivered_total',
      help: 'Event deliveries a webhook receiver accepted (2xx)',
      registers: [registry],
    }),
    eventAttemptsFailed: new Counter({
      name: 'longshore_event_delivery_failures_total',
      help: 'Event delivery attempts that failed (no answer or not 2xx); each is retried until EVENTS_RETRY_HOURS',
      registers: [registry],
    }),
    eventsPending: new Gauge({
      name: 'longshore_events',
      help: 'Event deliveries by state: pending (waiting, delayed for a retry, active) and failed (given up)',
      labelNames: ['state'],
      registers: [registry],
      async collect() {
        if (!sources.eventCounts) return;
        const counts = await sources.eventCounts();
        this.set({ state: 'pending' }, (counts.waiting ?? 0) + (counts.delayed ?? 0) + (counts.active ?? 0));
        this.set({ state: 'failed' }, counts.failed ?? 0);
      },
    }),
  };
}

export type WorkerMetrics = ReturnType<typeof createWorkerMetrics>;

import { availableParallelism } from 'node:os';
import { configDefaults, defineConfig } from 'vitest/config';

// One run, four projects (the fourth, `e2e-s3-cluster`, below): fast unit tests next to the code they test; end-to-end tests that
// drive the built apps against a private redis-server started by test/global-setup.ts; and
// `distributed` tests (`*.distributed.test.ts`, test/distributed/) that also get a private Swift
// S3 API and a Redis Cluster (test/global-setup-distributed.ts). Vitest runs a project's global
// setup only when the run selects one of its files.
const distributedTests = [
  'packages/*/src/**/*.distributed.test.ts',
  'apps/*/src/**/*.distributed.test.ts',
  'test/distributed/**/*.test.ts',
];
// The ECR, /v1 and /v2 suites again, with test/support/longshore-harness.ts defaulting to
// STORAGE=s3 on the private Swift and REDIS_URL naming the private Redis Cluster (each harness
// gets its own bucket and key prefix): the `e2e-s3-cluster` project.
const s3ClusterSuites = [
  'test/ecr/**/*.test.ts',
  'test/oci/**/*.test.ts',
  'test/status/**/*.test.ts',
  'test/uploads/**/*.test.ts',
  'test/finalize/**/*.test.ts',
  // Not test/gc: test/distributed/garbage-collection-on-s3-and-cluster.test.ts already runs the same
  // scenarios (test/support/garbage-collection-scenarios.ts) on S3 + the Redis Cluster.
];
// Files of those suites that only `e2e` runs, because they are about a single Redis:
const filesystemOrSingleRedisOnly = [
  // The API's Redis connections as one redis-server's CLIENT LIST shows them (one subscriber
  // connection holds 1,000 long polls); on a cluster each process has a connection per master.
  'test/status/long-polls.test.ts',
  // Local part files flushed by their background job without a re-read (`flushOnly`); S3 parts
  // are read back and checked (test/status/metrics.test.ts covers both).
  'test/uploads/streamed-part-flush.test.ts',
];
// Wall time (docs/testing.md, "How long the suite takes"): a test file spends most of its time
// starting processes (the API, workers, clients) and waiting on them, so files run side by side:
// one per core, and two on a two-core machine (where vitest's default, cores - 1, would be one at
// a time). VITEST_MAX_WORKERS overrides it.
// `isolate: false`: a vitest worker process runs file after file, importing the AWS SDK and the
// rest once instead of once per file (about 2 CPU-seconds a file). Test files keep their state in
// their own scope, isolate themselves on Redis and storage by prefix, and mock no modules.
// VITEST_ISOLATE=true gives each file its own process again (to rule out a leak between files).
const maxWorkers = Math.max(2, availableParallelism());
// biome-ignore lint/suspicious/noUndeclaredEnvVars: read by vitest when it loads this file, never by a turbo task
const isolate = process.env.VITEST_ISOLATE === 'true';
export default defineConfig({
  test: {
    reporters: ['default', './test/summary-reporter.ts'],
    maxWorkers,
    projects: [
      {
        resolve: { conditions: ['source'] },
        ssr: { resolve: { conditions: ['source'] } },
        test: {
          name: 'unit',
          isolate,
          include: ['packages/*/src/**/*.test.ts', 'apps/*/src/**/*.test.ts'],
          exclude: [...configDefaults.exclude, ...distributedTests],
          globalSetup: ['test/global-setup.ts'],
          testTimeout: 20_000,
        },
      },
      {
        resolve: { conditions: ['source'] },
        ssr: { resolve: { conditions: ['source'] } },
        test: {
          name: 'e2e',
          isolate,
          include: ['test/**/*.test.ts'],
          exclude: [...configDefaults.exclude, ...distributedTests],
          globalSetup: ['test/global-setup.ts'],
          testTimeout: 60_000,
          hookTimeout: 60_000,
        },
      },
      {
        resolve: { conditions: ['source'] },
        ssr: { resolve: { conditions: ['source'] } },
        test: {
          name: 'distributed',
          isolate,
          include: distributedTests,
          globalSetup: ['test/global-setup.ts', 'test/global-setup-distributed.ts'],
          testTimeout: 60_000,
          hookTimeout: 60_000,
        },
      },
      {
        resolve: { conditions: ['source'] },
        ssr: { resolve: { conditions: ['source'] } },
        test: {
          name: 'e2e-s3-cluster',
          isolate,
          include: s3ClusterSuites,
          exclude: [...configDefaults.exclude, ...distributedTests, ...filesystemOrSingleRedisOnly],
          globalSetup: ['test/global-setup.ts', 'test/global-setup-distributed.ts'],
          provide: { e2eBackend: 's3-cluster' },
          testTimeout: 60_000,
          hookTimeout: 60_000,
        },
      },
    ],
  },
});

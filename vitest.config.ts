import { configDefaults, defineConfig } from 'vitest/config';

// One run, three projects: fast unit tests next to the code they test; end-to-end tests that
// drive the built apps against a private redis-server started by test/global-setup.ts; and
// `distributed` tests (`*.distributed.test.ts`, test/distributed/) that also get a private Swift
// S3 API and a Redis Cluster (test/global-setup-distributed.ts). Vitest runs a project's global
// setup only when the run selects one of its files.
const distributedTests = [
  'packages/*/src/**/*.distributed.test.ts',
  'apps/*/src/**/*.distributed.test.ts',
  'test/distributed/**/*.test.ts',
];
export default defineConfig({
  test: {
    reporters: ['default', './test/summary-reporter.ts'],
    projects: [
      {
        resolve: { conditions: ['source'] },
        ssr: { resolve: { conditions: ['source'] } },
        test: {
          name: 'unit',
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
          include: distributedTests,
          globalSetup: ['test/global-setup.ts', 'test/global-setup-distributed.ts'],
          testTimeout: 60_000,
          hookTimeout: 60_000,
        },
      },
    ],
  },
});

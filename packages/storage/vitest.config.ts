import { defineConfig } from 'vitest/config';

// Lets `vitest run --root packages/storage` test this package alone: without a config here,
// vitest finds the repository's config upwards, whose globs and global setup are relative to the root.
export default defineConfig({
  resolve: { conditions: ['source'] },
  ssr: { resolve: { conditions: ['source'] } },
  test: { include: ['src/**/*.test.ts'], testTimeout: 20_000 },
});

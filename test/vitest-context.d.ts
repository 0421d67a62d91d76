// Importing vitest makes this file a module, so the declaration below augments vitest's own
// ProvidedContext (checked by both `inject` and `project.provide` in vitest/node) rather than
// declaring a new module.
import type {} from 'vitest';

// Values test/global-setup.ts provides to every test through `inject(...)`.
declare module 'vitest' {
  export interface ProvidedContext {
    /** redis://127.0.0.1:<port> of the private redis-server started for this test run. */
    redisUrl: string;
    /** The private Swift S3 API started for the `distributed` project (path-style addressing). */
    s3: { endpoint: string; region: string; accessKeyId: string; secretAccessKey: string };
    /** redis+cluster://127.0.0.1:<port>,... of the private three-master Redis Cluster (`distributed`). */
    redisClusterUrl: string;
    /**
     * Which backend test/support/longshore-harness.ts runs Longshore on (vitest.config.ts sets it
     * per project): unset or `filesystem` in `e2e`, `s3-cluster` in `e2e-s3-cluster`.
     */
    e2eBackend?: 'filesystem' | 's3-cluster';
  }
}

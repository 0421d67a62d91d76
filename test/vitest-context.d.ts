// Importing vitest makes this file a module, so the declaration below augments vitest's own
// ProvidedContext (checked by both `inject` and `project.provide` in vitest/node) rather than
// declaring a new module.
import type {} from 'vitest';

// Values test/global-setup.ts provides to every test through `inject(...)`.
declare module 'vitest' {
  export interface ProvidedContext {
    /** redis://127.0.0.1:<port> of the private redis-server started for this test run. */
    redisUrl: string;
  }
}

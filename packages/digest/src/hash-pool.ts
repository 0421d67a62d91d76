import { Piscina } from 'piscina';
import type { HashFileRangeTask } from './hash-task.js';

export interface HashPool {
  hashFileRange(task: HashFileRangeTask): Promise<string>;
  readonly threads: number;
  /** Fraction of the pool's capacity busy since the pool started (0..1). */
  utilization(): number;
  close(): Promise<void>;
}

/**
 * The compiled task file. Under vitest this module runs from `src/` as TypeScript, which a
 * worker thread cannot load, so it points at the build output (`npm test` builds first).
 */
function taskFile(): string {
  const here = new URL('.', import.meta.url);
  const file = here.pathname.endsWith('/src/')
    ? new URL('../dist/hash-task.js', here)
    : new URL('./hash-task.js', here);
  return file.href;
}

/** A pool of threads sized to the cores, so hashing runs in parallel and off the event loop. */
export function createHashPool(threads: number): HashPool {
  const pool = new Piscina({
    filename: taskFile(),
    minThreads: threads,
    maxThreads: threads,
    idleTimeout: 60_000,
  });
  return {
    threads,
    hashFileRange: (task) => pool.run(task) as Promise<string>,
    utilization: () => pool.utilization,
    close: () => pool.destroy(),
  };
}

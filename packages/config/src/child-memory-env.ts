import type { Config } from './config-spec.js';

/**
 * The environment `npm start` adds for the API and worker processes it starts (and `npm run bench`
 * for the ones it starts), to keep their peak RSS low under large pushes:
 *
 * - glibc malloc: `MALLOC_MMAP_THRESHOLD_` fixed (1 MiB), so part buffers (10 MiB and more) are
 *   always mapped and unmapped when freed; left dynamic, glibc raises the threshold after the
 *   first such free and later parts stay in heap arenas that rarely shrink. `MALLOC_ARENA_MAX`
 *   (2) keeps the hash threads from growing an arena each. glibc reads both at process start,
 *   so they must be in the child's environment; other C libraries ignore them.
 * - V8: `--max-semi-space-size` (`CHILD_SEMI_SPACE_MIB`, 8) in NODE_OPTIONS, after any the
 *   caller set. The young generation holds small request objects; the part bytes are outside it.
 *   8 rather than 4 (cpu24): half the scavenges per small push (each costs about what survives
 *   it, the requests in flight, whatever the size), 0.5–0.8 ms less server CPU per `/v2` push,
 *   and 8–18 MiB more peak RSS (API 115–131 MiB with 4 GiB pushed).
 *
 * Measured with the bench's memory scenarios (256 MiB quick layer, all three doors): API peak RSS
 * 161–164 MiB without these, 144–155 with the malloc settings, 123–141 with both; worker
 * 113–117, 108–113, 104–106. See docs/performance.md.
 */
export function childMemoryEnv(
  config: Pick<Config, 'childSemiSpaceMib' | 'mallocArenaMax' | 'mallocMmapThreshold'>,
  nodeOptions: string | undefined,
): Record<string, string> {
  const semiSpace = config.childSemiSpaceMib > 0 ? `--max-semi-space-size=${config.childSemiSpaceMib}` : undefined;
  const options = [nodeOptions?.trim(), semiSpace].filter(Boolean).join(' ');
  return {
    MALLOC_ARENA_MAX: String(config.mallocArenaMax),
    MALLOC_MMAP_THRESHOLD_: String(config.mallocMmapThreshold),
    ...(options ? { NODE_OPTIONS: options } : {}),
  };
}

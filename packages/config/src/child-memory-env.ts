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
 * - V8: `--max-semi-space-size` (`CHILD_SEMI_SPACE_MIB`, 4) in NODE_OPTIONS, after any the
 *   caller set. The young generation holds small request objects; the part bytes are outside it.
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

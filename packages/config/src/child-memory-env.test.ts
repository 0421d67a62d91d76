import { describe, expect, it } from 'vitest';
import { childMemoryEnv } from './child-memory-env.js';
import { loadConfig } from './load-config.js';

describe('childMemoryEnv', () => {
  it('gives the children the malloc settings and the semi-space flag by default', () => {
    const config = loadConfig({});
    expect(childMemoryEnv(config, undefined)).toEqual({
      MALLOC_ARENA_MAX: '2',
      MALLOC_MMAP_THRESHOLD_: String(1024 * 1024),
      NODE_OPTIONS: '--max-semi-space-size=8',
    });
  });

  it('keeps the NODE_OPTIONS already set, and takes the settings from the environment', () => {
    const config = loadConfig({ CHILD_SEMI_SPACE_MIB: '16', MALLOC_ARENA_MAX: '4', MALLOC_MMAP_THRESHOLD_: '131072' });
    expect(childMemoryEnv(config, ' --enable-source-maps ')).toEqual({
      MALLOC_ARENA_MAX: '4',
      MALLOC_MMAP_THRESHOLD_: '131072',
      NODE_OPTIONS: '--enable-source-maps --max-semi-space-size=16',
    });
  });

  it('leaves V8 its default semi-space with CHILD_SEMI_SPACE_MIB=0', () => {
    const config = loadConfig({ CHILD_SEMI_SPACE_MIB: '0' });
    expect(childMemoryEnv(config, undefined).NODE_OPTIONS).toBeUndefined();
    expect(childMemoryEnv(config, '--trace-gc').NODE_OPTIONS).toBe('--trace-gc');
  });
});

import { describe, expect, it } from 'vitest';
import { loadConfig } from './load-config.js';
import { v8HeapFlags } from './v8-heap-flags.js';

describe('v8HeapFlags', () => {
  it('sets the old generation growing factor by default', () => {
    expect(v8HeapFlags(loadConfig({}))).toEqual(['--heap-growing-percent=100']);
    expect(v8HeapFlags(loadConfig({ V8_HEAP_GROWING_PERCENT: '50' }))).toEqual(['--heap-growing-percent=50']);
  });

  it('leaves V8 its own heuristic with V8_HEAP_GROWING_PERCENT=0', () => {
    expect(v8HeapFlags(loadConfig({ V8_HEAP_GROWING_PERCENT: '0' }))).toEqual([]);
  });

  it('rejects a value outside 0–400, naming the setting', () => {
    expect(() => loadConfig({ V8_HEAP_GROWING_PERCENT: '-1' })).toThrow(/V8_HEAP_GROWING_PERCENT/);
    expect(() => loadConfig({ V8_HEAP_GROWING_PERCENT: '401' })).toThrow(/V8_HEAP_GROWING_PERCENT/);
  });
});

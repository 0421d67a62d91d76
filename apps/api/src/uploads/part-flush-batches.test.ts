import { describe, expect, it } from 'vitest';
import { PartFlushBatches } from './part-flush-batches.js';

describe('PartFlushBatches', () => {
  it('answers an upload’s parts once they hold the batch’s bytes, then starts afresh', () => {
    const batches = new PartFlushBatches(100);
    expect(batches.add('u1', 1, 40)).toBeUndefined();
    expect(batches.add('u1', 2, 40)).toBeUndefined();
    expect(batches.add('u1', 3, 40)).toEqual({ partNumbers: [1, 2, 3], bytes: 120 });
    expect(batches.size).toBe(0);
    expect(batches.add('u1', 4, 100)).toEqual({ partNumbers: [4], bytes: 100 });
  });

  it('keeps uploads apart', () => {
    const batches = new PartFlushBatches(100);
    expect(batches.add('u1', 1, 60)).toBeUndefined();
    expect(batches.add('u2', 1, 60)).toBeUndefined();
    expect(batches.add('u2', 2, 60)).toEqual({ partNumbers: [1, 2], bytes: 120 });
    expect(batches.add('u1', 2, 60)).toEqual({ partNumbers: [1, 2], bytes: 120 });
  });

  it('forgets the oldest upload’s parts beyond its bound (completion flushes them)', () => {
    const batches = new PartFlushBatches(100, 2);
    batches.add('u1', 1, 60);
    batches.add('u2', 1, 60);
    batches.add('u3', 1, 60);
    expect(batches.size).toBe(2);
    expect(batches.add('u1', 2, 60)).toBeUndefined();
    expect(batches.add('u3', 2, 60)).toEqual({ partNumbers: [1, 2], bytes: 120 });
  });
});

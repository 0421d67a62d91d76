import { describe, expect, it } from 'vitest';
import { planCompletion } from './completion-plan.js';
import type { StoredPart } from './part-receipt.js';

const MIN = 100;
const direct = (partNumber: number, size = MIN): StoredPart => ({
  partNumber,
  size,
  kind: 'direct',
  etag: `d${partNumber}`,
});
const staged = (partNumber: number, size: number): StoredPart => ({
  partNumber,
  size,
  kind: 'staged',
  etag: `s${partNumber}`,
});

describe('planCompletion', () => {
  it('uses direct parts as written and merges a trailing run of small staged parts into one', () => {
    expect(planCompletion([direct(1), direct(3, 150), staged(4, 10), staged(6, 5)], MIN)).toEqual([
      { action: 'use', partNumber: 1, etag: 'd1' },
      { action: 'use', partNumber: 3, etag: 'd3' },
      { action: 'concatenate', partNumber: 4, sources: [staged(4, 10), staged(6, 5)], size: 15 },
    ]);
  });

  it('copies a lone staged part that is large enough, and merges a large-enough run before a direct part', () => {
    expect(planCompletion([staged(1, 60), staged(2, 40), direct(3), staged(5, 250), direct(7)], MIN)).toEqual([
      { action: 'concatenate', partNumber: 1, sources: [staged(1, 60), staged(2, 40)], size: 100 },
      { action: 'use', partNumber: 3, etag: 'd3' },
      { action: 'copy', partNumber: 5, source: staged(5, 250) },
      { action: 'use', partNumber: 7, etag: 'd7' },
    ]);
  });

  it('finds no plan when a too-small run comes before a direct part', () => {
    expect(planCompletion([staged(1, 99), direct(2)], MIN)).toBeUndefined();
    expect(planCompletion([direct(1), staged(2, 10), direct(3), staged(4, 1)], MIN)).toBeUndefined();
  });

  it('plans nothing for no parts', () => {
    expect(planCompletion([], MIN)).toEqual([]);
  });
});

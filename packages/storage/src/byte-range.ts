import { RangeNotSatisfiableError } from './errors.js';
import type { ByteRange } from './storage-driver.js';

/** The range a driver actually serves: end clamped to the last byte, as HTTP Range does. */
export function satisfiableRange(range: ByteRange, size: number): ByteRange {
  const { start, end } = range;
  if (!Number.isSafeInteger(start) || !Number.isSafeInteger(end) || start < 0 || start > end || start >= size) {
    throw new RangeNotSatisfiableError(range, size);
  }
  return { start, end: Math.min(end, size - 1) };
}

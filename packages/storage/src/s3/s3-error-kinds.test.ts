import { describe, expect, it } from 'vitest';
import { StorageThrottledError, isStorageThrottled } from '../errors.js';
import { isThrottling } from './s3-error-kinds.js';

describe('isThrottling', () => {
  it('knows SlowDown and its kin by name or code, and a bare 503 or 429', () => {
    expect(isThrottling({ name: 'SlowDown', $metadata: { httpStatusCode: 503 } })).toBe(true);
    expect(isThrottling({ Code: 'RequestLimitExceeded' })).toBe(true);
    expect(isThrottling({ name: 'Unknown', $metadata: { httpStatusCode: 503 } })).toBe(true);
    expect(isThrottling({ name: 'Unknown', $metadata: { httpStatusCode: 429 } })).toBe(true);
  });

  it('leaves other errors alone', () => {
    expect(isThrottling({ name: 'NoSuchKey', $metadata: { httpStatusCode: 404 } })).toBe(false);
    expect(isThrottling({ name: 'InternalError', $metadata: { httpStatusCode: 500 } })).toBe(false);
    expect(isThrottling(new Error('socket hang up'))).toBe(false);
    expect(isThrottling(undefined)).toBe(false);
  });
});

describe('isStorageThrottled', () => {
  it('finds a StorageThrottledError thrown as is or as a cause', () => {
    const throttled = new StorageThrottledError('slow down');
    expect(isStorageThrottled(throttled)).toBe(true);
    expect(isStorageThrottled(new Error('writing part 3 failed', { cause: throttled }))).toBe(true);
    expect(isStorageThrottled(new Error('other'))).toBe(false);
  });
});

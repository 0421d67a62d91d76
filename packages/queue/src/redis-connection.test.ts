import { describe, expect, it } from 'vitest';
import { isRedisConnectionError } from './redis-connection.js';

describe('isRedisConnectionError', () => {
  it('recognises an unreachable Redis', () => {
    expect(isRedisConnectionError(Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' }))).toBe(
      true,
    );
    expect(isRedisConnectionError(new Error('Connection is closed.'))).toBe(true);
    expect(isRedisConnectionError(new Error("Stream isn't writeable and enableOfflineQueue options is false"))).toBe(
      true,
    );
  });

  it('leaves other errors alone', () => {
    expect(isRedisConnectionError(new Error('ERR unknown command'))).toBe(false);
    expect(isRedisConnectionError(undefined)).toBe(false);
  });
});

import { describe, expect, it } from 'vitest';
import { AccessKey } from './access-key.js';
import { SigningKeyCache, deriveSigningKey } from './sigv4-signing-key.js';

const secret = 'wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY';

describe('SigV4 signing keys', () => {
  it("derives AWS's documented example key", () => {
    // "Examples of how to derive a signing key for Signature Version 4" (AWS General Reference).
    expect(deriveSigningKey(secret, '20120215', 'us-east-1', 'iam').toString('hex')).toBe(
      'f4780e2d9f65fa895f9c67b32ce1baf0b0d8a43505a000a1a9e090d414db404d',
    );
  });

  it('derives once per key, day, region and service, and again for any other scope', () => {
    const cache = new SigningKeyCache();
    const key = new AccessKey('AKIDEXAMPLE', secret, []);
    const first = cache.get(key, '20261206', 'us-east-1', 'ecr');
    expect(cache.get(key, '20261206', 'us-east-1', 'ecr')).toBe(first);
    expect(first.equals(deriveSigningKey(secret, '20261206', 'us-east-1', 'ecr'))).toBe(true);
    for (const [day, region, service] of [
      ['20261207', 'us-east-1', 'ecr'],
      ['20261206', 'eu-west-1', 'ecr'],
      ['20261206', 'us-east-1', 's3'],
    ] as const) {
      const other = cache.get(key, day, region, service);
      expect(other.equals(first)).toBe(false);
      expect(other.equals(deriveSigningKey(secret, day, region, service))).toBe(true);
    }
  });

  it('never answers a key object with a key derived from another secret of the same key id', () => {
    const cache = new SigningKeyCache();
    const before = new AccessKey('AKIDEXAMPLE', secret, []);
    const rotated = new AccessKey('AKIDEXAMPLE', 'the-rotated-secret', []);
    const old = cache.get(before, '20261206', 'us-east-1', 'ecr');
    const now = cache.get(rotated, '20261206', 'us-east-1', 'ecr');
    expect(now.equals(old)).toBe(false);
    expect(now.equals(deriveSigningKey('the-rotated-secret', '20261206', 'us-east-1', 'ecr'))).toBe(true);
  });

  it('keeps a bounded number of scopes per key and still answers each correctly', () => {
    const cache = new SigningKeyCache();
    const key = new AccessKey('AKIDEXAMPLE', secret, []);
    for (let day = 10; day < 30; day++) {
      const scopeDay = `202612${day}`;
      expect(
        cache.get(key, scopeDay, 'us-east-1', 'ecr').equals(deriveSigningKey(secret, scopeDay, 'us-east-1', 'ecr')),
      ).toBe(true);
    }
  });
});

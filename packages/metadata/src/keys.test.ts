import { describe, expect, it } from 'vitest';
import { createKeys } from './keys.js';

describe('createKeys', () => {
  it('drops the braces a Redis Cluster config puts around the prefix, so the key families keep their own tags', () => {
    const plain = createKeys('ls');
    const tagged = createKeys('{ls}');
    for (const keys of [plain, tagged]) {
      expect(keys.upload('u1')).toBe('ls:{upload:u1}');
      expect(keys.uploadParts('u1')).toBe('ls:{upload:u1}:parts');
      expect(keys.layers('team/app')).toBe('ls:{repo:team/app}:layers');
      expect(keys.images('team/app').images).toBe('ls:{repo:team/app}:images');
      expect(keys.blob('sha256:ab')).toBe('ls:{blob:sha256:ab}');
      expect(keys.blobMark('sha256:ab')).toBe('ls:{blob:sha256:ab}:gc');
      expect(keys.repositories).toBe('ls:repositories');
    }
  });

  it('finds uploads and blob entries by SCAN pattern, and reads their id and digest back', () => {
    const keys = createKeys('ls');
    expect(keys.uploadPattern).toBe('ls:{upload:*}');
    expect(keys.uploadIdOf(keys.upload('0b9e-44'))).toBe('0b9e-44');
    expect(keys.blobPattern).toBe('ls:{blob:*}');
    expect(keys.digestOf(keys.blob('sha256:ab'))).toBe('sha256:ab');
  });
});

import { describe, expect, it } from 'vitest';
import type { UnclaimedPartStart } from '@longshore/metadata';
import { UploadsLeftHere, unclaimedPartStartOf } from './uploads-left-here.js';

const start = (uploadId: string, bytesReceived = 0): UnclaimedPartStart => ({
  uploadId,
  repositoryName: 'team/app',
  registryId: '000000000000',
  status: 'uploading',
  partInFlight: false,
  storageSession: '{}',
  nextPartNumber: 0,
  maxPartSize: 1024,
  partsReceived: 0,
  bytesReceived,
  hashState: '',
});

describe('UploadsLeftHere', () => {
  it('gives an upload as it was last left, once', () => {
    const left = new UploadsLeftHere(4);
    left.leave(start('a'));
    left.leave(start('a', 10));
    expect(left.take('a')?.bytesReceived).toBe(10);
    expect(left.take('a')).toBeUndefined();
    expect(left.take('b')).toBeUndefined();
  });

  it('holds at most its bound, forgetting the upload left longest ago', () => {
    const left = new UploadsLeftHere(2);
    left.leave(start('a'));
    left.leave(start('b'));
    left.leave(start('a', 5)); // left again: now the newest
    left.leave(start('c'));
    expect(left.size).toBe(2);
    expect(left.take('b')).toBeUndefined();
    expect(left.take('a')?.bytesReceived).toBe(5);
    expect(left.take('c')).toBeDefined();
  });

  it('keeps only the fields a part without a claim starts from', () => {
    const record = { ...start('a'), layerDigests: ['sha256:00'], callbackUrl: 'http://x', attempts: 2 };
    expect(unclaimedPartStartOf(record)).toEqual(start('a'));
  });
});

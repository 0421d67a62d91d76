import { describe, expect, it } from 'vitest';
import { wireOf } from './wire-of.js';

describe('wireOf', () => {
  it('answers POST / on the ECR wire, /v2 paths on OCI, everything else in the /v1 envelope', () => {
    expect(wireOf({ method: 'POST', path: '/' })).toBe('ecr');
    expect(wireOf({ method: 'GET', path: '/' })).toBe('v1');
    expect(wireOf({ method: 'GET', path: '/v2' })).toBe('v2');
    expect(wireOf({ method: 'POST', path: '/v2/a/blobs/uploads/' })).toBe('v2');
    expect(wireOf({ method: 'GET', path: '/v2x' })).toBe('v1');
    expect(wireOf({ method: 'GET', path: '/v1/uploads/x' })).toBe('v1');
    expect(wireOf({ method: 'GET', path: '/downloads/sha256:00' })).toBe('v1');
  });
});

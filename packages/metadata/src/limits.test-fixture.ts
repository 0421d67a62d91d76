import type { UploadLimits } from './upload-store.js';

/** The upload limits the metadata tests run with; a test changes only what it is about. */
export function testLimits(overrides: Partial<UploadLimits> = {}): UploadLimits {
  return {
    minPartSize: 0,
    maxPartSize: 1024,
    maxParts: 100,
    maxLayerSize: 1024 * 1024,
    partLockMs: 60_000,
    uploadTtlSeconds: 600,
    statusRetentionSeconds: 600,
    ...overrides,
  };
}

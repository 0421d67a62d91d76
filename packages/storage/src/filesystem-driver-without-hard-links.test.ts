import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { vi } from 'vitest';
import { describeStorageDriverConformance } from './conformance.js';
import { createFilesystemDriver } from './filesystem-driver.js';

// Some filesystems (SMB, some FUSE mounts) refuse hard links. The driver then moves by rename,
// and that fallback must meet the same contract, so link() is made to fail the way they fail.
vi.mock('node:fs/promises', async (importOriginal) => {
  const actual = await importOriginal<typeof import('node:fs/promises')>();
  const link = async (): Promise<never> => {
    throw Object.assign(new Error('EPERM: operation not permitted, link'), { code: 'EPERM' });
  };
  return { ...actual, default: { ...actual, link }, link };
});

describeStorageDriverConformance('filesystem without hard links', async () => {
  const rootDir = await mkdtemp(join(tmpdir(), 'longshore-storage-nolink-'));
  return { driver: createFilesystemDriver({ rootDir }), teardown: () => rm(rootDir, { recursive: true, force: true }) };
});

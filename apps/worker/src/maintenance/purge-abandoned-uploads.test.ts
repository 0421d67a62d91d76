import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { UploadRecord } from '@longshore/metadata';
import { createFilesystemDriver, type StorageDriver } from '@longshore/storage';
import { purgeAbandonedUploads } from './purge-abandoned-uploads.js';

describe('purgeAbandonedUploads', () => {
  let dir: string;
  let storage: StorageDriver;
  beforeAll(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'purge-'));
    storage = createFilesystemDriver({ rootDir: dir });
  });
  afterAll(() => rm(dir, { recursive: true, force: true }));

  const uploadIds = async () => {
    const ids: string[] = [];
    for await (const listing of storage.listUploads()) ids.push(listing.session.uploadId);
    return ids.sort();
  };

  it('aborts the sessions of uploads Redis forgot or finished, and keeps live and young ones', async () => {
    const ids = [
      'a0000000-0000-4000-8000-000000000001',
      'a0000000-0000-4000-8000-000000000002',
      'a0000000-0000-4000-8000-000000000003',
    ];
    for (const id of ids) await storage.writePart(await storage.createUpload(id), 1, Buffer.from('bytes'));
    const records = new Map<string, UploadRecord>([
      [ids[1]!, { status: 'uploading' } as UploadRecord],
      [ids[2]!, { status: 'completed' } as UploadRecord],
    ]);
    // A fake of the store's read side: this is a pure unit test of the purge rule.
    const uploads = { getMany: async (batch: string[]) => batch.map((id) => records.get(id)) };

    expect(await purgeAbandonedUploads({ storage, uploads }, 60_000)).toEqual([]);
    const later = Date.now() + 120_000;
    expect((await purgeAbandonedUploads({ storage, uploads }, 60_000, later)).sort()).toEqual([ids[0], ids[2]]);
    expect(await uploadIds()).toEqual([ids[1]]);
  });
});

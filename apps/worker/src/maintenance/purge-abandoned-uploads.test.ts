import { randomBytes, randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { createStores, type UploadRecord } from '@longshore/metadata';
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

/** The same rule against the real upload store on a real Redis, as the worker runs it. */
describe('purgeAbandonedUploads with the Redis upload store', () => {
  const LIMITS = {
    minPartSize: 1024,
    maxPartSize: 4096,
    maxParts: 10,
    maxLayerSize: 65_536,
    partLockMs: 60_000,
    uploadTtlSeconds: 600,
    statusRetentionSeconds: 600,
  };
  let dir: string;
  let storage: StorageDriver;
  let redis: Redis;
  beforeAll(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'purge-redis-'));
    storage = createFilesystemDriver({ rootDir: dir });
    redis = new Redis(inject('redisUrl'));
  });
  afterAll(async () => {
    await redis.quit();
    await rm(dir, { recursive: true, force: true });
  });

  it('aborts expired and finished uploads once past the grace period, and keeps uploading ones', async () => {
    const { uploads, keys } = createStores(redis, `purge${randomBytes(4).toString('hex')}`, LIMITS);
    const [expired, uploading, completed, failed] = [randomUUID(), randomUUID(), randomUUID(), randomUUID()];
    for (const uploadId of [expired, uploading, completed, failed]) {
      const session = await storage.createUpload(uploadId);
      await storage.writePart(session, 1, Buffer.from('bytes'));
      await uploads.initiate('purge/app', '000000000000', { uploadId, storageSession: JSON.stringify(session) });
    }
    // What UPLOAD_TTL_SECONDS of idleness does to a record: it is gone.
    expect(await redis.del(keys.upload(expired))).toBe(1);
    await uploads.recordCompleted(completed, `sha256:${'a'.repeat(64)}`, 5);
    await uploads.recordFailed(failed, { code: 'LAYER_HASH_MISMATCH' });
    expect((await uploads.getMany([uploading, completed, failed])).map((r) => r?.status)).toEqual([
      'uploading',
      'completed',
      'failed',
    ]);

    const ids = async () => {
      const found: string[] = [];
      for await (const listing of storage.listUploads()) found.push(listing.session.uploadId);
      return found.sort();
    };
    // Within the grace period nothing is touched, whatever its record says.
    expect(await purgeAbandonedUploads({ storage, uploads }, 60_000)).toEqual([]);
    expect(await ids()).toEqual([expired, uploading, completed, failed].sort());

    const later = Date.now() + 120_000;
    expect((await purgeAbandonedUploads({ storage, uploads }, 60_000, later)).sort()).toEqual(
      [expired, completed, failed].sort(),
    );
    expect(await ids()).toEqual([uploading]);
    // The uploading upload's record is untouched.
    expect((await uploads.get(uploading))?.status).toBe('uploading');
  });
});

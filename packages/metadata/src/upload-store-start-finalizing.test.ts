import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { createStores, type Stores } from './create-stores.js';
import { testLimits } from './limits.test-fixture.js';

const LIMITS = testLimits();
const registryId = '000000000000';
const repositoryName = 'team/finalize';
const digest = `sha256:${'c'.repeat(64)}`;

/**
 * A finalize job takes an upload up with one script that also answers everything finalizing it
 * reads (record, committed parts, background checks): a lone push's worker waits on one round
 * trip for it, not three.
 */
describe('UploadStore.startFinalizing', () => {
  let redis: Redis;
  let stores: Stores;
  let commands: string[];

  beforeAll(async () => {
    redis = new Redis(inject('redisUrl'));
    commands = [];
    const counting = new Proxy(redis, {
      get(target, property, receiver) {
        const value = Reflect.get(target, property, receiver) as unknown;
        if (typeof value !== 'function') return value;
        return (...args: unknown[]) => {
          commands.push(String(property));
          return (value as (...a: unknown[]) => unknown).apply(target, args);
        };
      },
    });
    stores = createStores(counting as Redis, `ls${randomBytes(4).toString('hex')}`, LIMITS);
    await stores.repositories.create({
      repositoryName,
      registryId,
      createdAt: 0,
      imageTagMutability: 'MUTABLE',
      imageScanningConfiguration: { scanOnPush: false },
      encryptionConfiguration: { encryptionType: 'AES256' },
    });
  });

  afterAll(() => redis.disconnect());

  /** An upload of two committed parts (the first checked in the background), queued as job `job`. */
  async function queuedUpload() {
    const upload = await stores.uploads.initiate(repositoryName, registryId);
    const ref = { uploadId: upload.uploadId, repositoryName, registryId };
    const parts = [];
    for (const offset of [0, 4]) {
      const claim = await stores.uploads.claimPart(ref, offset, offset + 3, 4);
      const part = {
        offset,
        length: 4,
        checksum: `crc32c:0000000${offset}`,
        partNumber: claim.partNumber,
        receipt: '',
      };
      await stores.uploads.commitPart(ref, claim, part, '');
      parts.push(part);
    }
    await stores.uploads.markPartChecked(upload.uploadId, parts[0]!.partNumber, true);
    await stores.uploads.beginCompletion(ref, { jobId: 'job', layerDigests: [digest] });
    return { uploadId: upload.uploadId, parts };
  }

  it('answers the record, the committed parts and the background checks in the one script call', async () => {
    // The first call of a script on a connection may load it (NOSCRIPT, then EVAL).
    await stores.uploads.startFinalizing((await queuedUpload()).uploadId, 'warm-up');
    const { uploadId, parts } = await queuedUpload();
    commands.length = 0;
    const taken = await stores.uploads.startFinalizing(uploadId, 'job');
    // One command: the script (however the stores send it).
    expect(commands).toHaveLength(1);
    expect(taken.status).toBe('finalizing');
    expect(taken.record).toMatchObject({ uploadId, status: 'finalizing', finalizingJob: 'job', bytesReceived: 8 });
    expect(taken.record?.layerDigests).toEqual([digest]);
    expect(taken.parts).toEqual(parts);
    expect([...taken.checked.ok]).toEqual([parts[0]!.partNumber]);
    expect(taken.checked.bad).toEqual([]);
  });

  it('answers no record to another job, the record of a finished upload, and missing for none', async () => {
    const { uploadId } = await queuedUpload();
    await stores.uploads.startFinalizing(uploadId, 'job');
    expect(await stores.uploads.startFinalizing(uploadId, 'other')).toEqual({
      status: 'elsewhere',
      parts: [],
      checked: { ok: new Set(), bad: [] },
    });
    await stores.uploads.recordCompleted(uploadId, digest, 8);
    const finished = await stores.uploads.startFinalizing(uploadId, 'job');
    expect(finished.status).toBe('completed');
    expect(finished.record).toMatchObject({ status: 'completed', layerDigest: digest, layerSize: 8 });
    expect(finished.parts).toEqual([]);
    expect((await stores.uploads.startFinalizing('no-such-upload', 'job')).status).toBe('missing');
  });
});

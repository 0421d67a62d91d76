import { CreateRepositoryCommand } from '@aws-sdk/client-ecr';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { digestOf, randomLayer } from '../support/layer-data.js';
import { startLongshore, type Longshore } from '../support/longshore-harness.js';

/** The first OCI error code of an answer. */
async function codeOf(answer: Response): Promise<string> {
  return ((await answer.json()) as { errors: { code: string }[] }).errors[0]!.code;
}

/**
 * On local part files a `/v2` POST answers an upload id that carries its facts (repository,
 * issue time, policy, under an HMAC) and writes nothing; the upload's record is made by its first
 * part or its completion. Every request that names the upload answers as it did when the POST
 * wrote the record: its status, a DELETE that sticks, the empty blob, and an unknown upload for an
 * id of another repository or a tampered one. On S3 (its multipart upload begins at the POST) the
 * POST still writes the record, and the answers are the same.
 */
describe('/v2 uploads started without a record', () => {
  let longshore: Longshore;
  let redis: ReturnType<Longshore['connectRedis']>;
  let lazy: boolean;

  beforeAll(async () => {
    longshore = await startLongshore();
    redis = longshore.connectRedis();
    lazy = longshore.backend === 'filesystem';
    for (const repositoryName of ['lazy/one', 'lazy/two']) {
      await longshore.ecr.send(new CreateRepositoryCommand({ repositoryName }));
    }
  });
  afterAll(async () => {
    await redis?.quit();
    await longshore?.close();
  });

  async function started(name: string): Promise<{ location: string; uploadId: string }> {
    const answer = await longshore.fetch(`/v2/${name}/blobs/uploads/`, { method: 'POST' });
    expect(answer.status).toBe(202);
    const location = answer.headers.get('location')!;
    const uploadId = location.slice(location.lastIndexOf('/') + 1);
    expect(await redis.exists(longshore.keys.upload(uploadId))).toBe(lazy ? 0 : 1);
    return { location, uploadId };
  }

  it('answers the status of an upload with no part yet (an empty range), then takes parts and completes', async () => {
    const { location, uploadId } = await started('lazy/one');
    const status = await longshore.fetch(location);
    expect(status.status).toBe(204);
    expect(status.headers.get('range')).toBe('0-0');
    expect(status.headers.get('docker-upload-uuid')).toBe(uploadId);

    const layer = randomLayer(100_000);
    const patched = await longshore.fetch(location, { method: 'PATCH', body: layer.bytes.subarray(0, 60_000) });
    expect(patched.status).toBe(202);
    expect(patched.headers.get('range')).toBe('0-59999');
    expect(await redis.hget(longshore.keys.upload(uploadId), 'repositoryName')).toBe('lazy/one');
    const put = await longshore.fetch(`${location}?digest=${layer.digest}`, {
      method: 'PUT',
      body: layer.bytes.subarray(60_000),
    });
    expect(put.status).toBe(201);
    const pulled = await longshore.fetch(`/v2/lazy/one/blobs/${layer.digest}`);
    expect(Buffer.from(await pulled.arrayBuffer()).equals(layer.bytes)).toBe(true);
  });

  it('completes the empty blob with no part at all', async () => {
    const { location } = await started('lazy/one');
    const empty = digestOf(Buffer.alloc(0));
    const put = await longshore.fetch(`${location}?digest=${empty}`, { method: 'PUT' });
    expect(put.status).toBe(201);
    const head = await longshore.fetch(`/v2/lazy/one/blobs/${empty}`, { method: 'HEAD' });
    expect(head.status).toBe(200);
    expect(head.headers.get('content-length')).toBe('0');
  });

  it('keeps an upload cancelled before its first part cancelled', async () => {
    const { location, uploadId } = await started('lazy/one');
    expect((await longshore.fetch(location, { method: 'DELETE' })).status).toBe(204);
    for (const request of [
      longshore.fetch(location),
      longshore.fetch(location, { method: 'PATCH', body: Buffer.from('late') }),
      longshore.fetch(`${location}?digest=${digestOf(Buffer.from('late'))}`, {
        method: 'PUT',
        body: Buffer.from('late'),
      }),
      longshore.fetch(location, { method: 'DELETE' }),
    ]) {
      const answer = await request;
      expect(answer.status).toBe(404);
      expect(await codeOf(answer)).toBe('BLOB_UPLOAD_UNKNOWN');
    }
    expect(await redis.exists(longshore.keys.upload(uploadId))).toBe(0);
    expect(await longshore.storage.storedUploads()).not.toContain(uploadId);
  });

  it('knows no upload id of another repository, nor a tampered one', async () => {
    const { uploadId } = await started('lazy/one');
    const last = uploadId.at(-1) === '0' ? '1' : '0';
    for (const location of [
      `/v2/lazy/two/blobs/uploads/${uploadId}`,
      `/v2/lazy/one/blobs/uploads/${uploadId.slice(0, -1)}${last}`,
    ]) {
      for (const init of [{}, { method: 'PATCH', body: Buffer.from('bytes') }, { method: 'DELETE' }]) {
        const answer = await longshore.fetch(location, init);
        expect(answer.status).toBe(404);
        expect(await codeOf(answer)).toBe('BLOB_UPLOAD_UNKNOWN');
      }
    }
    expect(await redis.exists(longshore.keys.upload(uploadId))).toBe(lazy ? 0 : 1);
  });
});

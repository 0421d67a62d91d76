import { randomBytes } from 'node:crypto';
import {
  CompleteLayerUploadCommand,
  CreateRepositoryCommand,
  GetDownloadUrlForLayerCommand,
  InitiateLayerUploadCommand,
  type ECRClient,
} from '@aws-sdk/client-ecr';
import type { RedisClient } from '@longshore/queue';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { controllableBody, streamedBody } from '../support/controllable-body.js';
import { claimTaken } from '../support/part-claims.js';
import { digestOf, randomLayer } from '../support/layer-data.js';
import { ecrClient, startLongshore, type Longshore } from '../support/longshore-harness.js';

const MiB = 1024 * 1024;

async function download(ecr: ECRClient, repositoryName: string, layerDigest: string): Promise<Buffer> {
  const { downloadUrl } = await ecr.send(new GetDownloadUrlForLayerCommand({ repositoryName, layerDigest }));
  return Buffer.from(await (await fetch(downloadUrl!)).arrayBuffer());
}

const partHeaders = (first: number, last: number) => ({
  'content-type': 'application/octet-stream',
  'content-range': `bytes ${first}-${last}/*`,
});

describe('a part writer that lost its claim can never touch the published layer', () => {
  let longshore: Longshore;
  let redis: RedisClient;
  const repositoryName = 'fencing/stale';

  beforeAll(async () => {
    // A long idle timeout: the stalled writers here are held by the test, not timed out.
    longshore = await startLongshore({ env: { MIN_PART_SIZE: String(64 * 1024), PART_IDLE_TIMEOUT_MS: '120000' } });
    redis = longshore.connectRedis();
    await longshore.ecr.send(new CreateRepositoryCommand({ repositoryName }));
  });
  afterAll(async () => {
    await redis?.quit();
    await longshore?.close();
  });

  const initiate = async () => (await longshore.ecr.send(new InitiateLayerUploadCommand({ repositoryName }))).uploadId!;

  it('a retry takes the part over; the stalled writer finishing after completion is refused', async () => {
    const layer = randomLayer(2 * MiB + 5);
    const uploadId = await initiate();
    const path = `/v1/uploads/${uploadId}/parts`;
    const garbage = randomBytes(layer.bytes.length);

    const stale = controllableBody();
    stale.push(garbage.subarray(0, 100));
    const staleAnswer = longshore.fetch(path, streamedBody(stale, partHeaders(0, layer.bytes.length - 1)));
    await claimTaken(redis, longshore.keys.upload(uploadId));

    // The client's retry of the same part, on another connection: accepted at once.
    const retry = await longshore.fetch(path, {
      method: 'PUT',
      headers: partHeaders(0, layer.bytes.length - 1),
      body: layer.bytes,
    });
    expect(retry.status).toBe(200);
    const completed = await longshore.ecr.send(
      new CompleteLayerUploadCommand({ repositoryName, uploadId, layerDigests: [layer.digest] }),
    );
    expect(completed.layerDigest).toBe(layer.digest);

    // Now the stalled writer sends the rest of its (different) bytes.
    stale.push(garbage.subarray(100));
    stale.end();
    const refused = await staleAnswer;
    expect(refused.status).toBe(404);
    expect(((await refused.json()) as { error: { code: string } }).error.code).toBe('UPLOAD_NOT_FOUND');

    const published = await download(longshore.ecr, repositoryName, layer.digest);
    expect(published.length).toBe(layer.bytes.length);
    expect(digestOf(published)).toBe(layer.digest);
  });

  it('a stalled writer finishing before completion is refused, and the layer is the retried bytes', async () => {
    const first = randomBytes(1 * MiB);
    const second = randomBytes(1 * MiB + 17);
    const layer = Buffer.concat([first, second]);
    const uploadId = await initiate();
    const path = `/v1/uploads/${uploadId}/parts`;
    expect(
      (await longshore.fetch(path, { method: 'PUT', headers: partHeaders(0, first.length - 1), body: first })).status,
    ).toBe(200);

    const range = partHeaders(first.length, layer.length - 1);
    const stale = controllableBody();
    stale.push(randomBytes(10));
    const staleAnswer = longshore.fetch(path, streamedBody(stale, range));
    await claimTaken(redis, longshore.keys.upload(uploadId));
    const retry = await longshore.fetch(path, { method: 'PUT', headers: range, body: second });
    expect(retry.status).toBe(200);

    stale.push(randomBytes(second.length - 10));
    stale.end();
    const refused = await staleAnswer;
    expect(refused.status).toBe(416);
    expect(((await refused.json()) as { error: { code: string } }).error.code).toBe('INVALID_LAYER_PART');

    const completed = await longshore.ecr.send(
      new CompleteLayerUploadCommand({ repositoryName, uploadId, layerDigests: [digestOf(layer)] }),
    );
    expect(completed.layerDigest).toBe(digestOf(layer));
    expect((await download(longshore.ecr, repositoryName, digestOf(layer))).equals(layer)).toBe(true);
  });
});

describe('an API process killed in the middle of a part', () => {
  let longshore: Longshore;
  let redis: RedisClient;
  const repositoryName = 'fencing/killed-api';

  beforeAll(async () => {
    longshore = await startLongshore({ env: { MIN_PART_SIZE: String(64 * 1024) } });
    redis = longshore.connectRedis();
    await longshore.ecr.send(new CreateRepositoryCommand({ repositoryName }));
  });
  afterAll(async () => {
    await redis?.quit();
    await longshore?.close();
  });

  it('leaves a claim that the retried part, on another API process, takes over', async () => {
    const survivor = await longshore.startApi();
    const survivorEndpoint = `http://127.0.0.1:${survivor.port}`;
    const layer = randomLayer(3 * MiB + 1);
    const uploadId = (await longshore.ecr.send(new InitiateLayerUploadCommand({ repositoryName }))).uploadId!;
    const path = `/v1/uploads/${uploadId}/parts`;
    const headers = partHeaders(0, layer.bytes.length - 1);

    const body = controllableBody();
    body.push(layer.bytes.subarray(0, 64 * 1024));
    const doomed = longshore.fetch(path, streamedBody(body, headers)).catch((err: unknown) => err);
    await claimTaken(redis, longshore.keys.upload(uploadId));
    await longshore.api.kill();
    expect(await doomed).toBeInstanceOf(Error);

    // The SDK's retry goes to a live API process; the dead one's claim does not hold it up.
    const retry = await longshore.fetch(`${survivorEndpoint}${path}`, {
      method: 'PUT',
      headers,
      body: layer.bytes,
    });
    expect(retry.status).toBe(200);
    const ecr = ecrClient(survivorEndpoint);
    const completed = await ecr.send(
      new CompleteLayerUploadCommand({ repositoryName, uploadId, layerDigests: [layer.digest] }),
    );
    expect(completed.layerDigest).toBe(layer.digest);
    expect((await download(ecr, repositoryName, layer.digest)).equals(layer.bytes)).toBe(true);
  });
});

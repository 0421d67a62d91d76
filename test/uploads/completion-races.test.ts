import { randomBytes } from 'node:crypto';
import {
  CompleteLayerUploadCommand,
  CreateRepositoryCommand,
  InitiateLayerUploadCommand,
  UploadLayerPartCommand,
  UploadNotFoundException,
} from '@aws-sdk/client-ecr';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { controllableBody, streamedBody } from '../support/controllable-body.js';
import { claimTaken } from '../support/part-claims.js';
import { digestOf } from '../support/layer-data.js';
import { startLongshore, type Longshore } from '../support/longshore-harness.js';
import { httpStatusOf, rejectionOf } from '../support/rejection.js';

const KiB = 1024;
const ROUNDS = 30;

describe('a CompleteLayerUpload racing the last part', () => {
  let longshore: Longshore;
  const repositoryName = 'races/complete-vs-part';

  beforeAll(async () => {
    longshore = await startLongshore({ env: { MIN_PART_SIZE: String(64 * KiB) } });
    await longshore.ecr.send(new CreateRepositoryCommand({ repositoryName }));
  });
  afterAll(async () => {
    await longshore?.close();
  });

  it(`is never answered with a 5xx, and each of ${ROUNDS} rounds ends as one order or the other`, async () => {
    // The client makes one attempt per call (maxAttempts 1), so a 5xx is seen, not retried away.
    const { ecr } = longshore;
    for (let round = 0; round < ROUNDS; round++) {
      const first = randomBytes(64 * KiB);
      const last = randomBytes(300 * KiB + round);
      const layer = Buffer.concat([first, last]);
      const { uploadId } = await ecr.send(new InitiateLayerUploadCommand({ repositoryName }));
      await ecr.send(
        new UploadLayerPartCommand({
          repositoryName,
          uploadId,
          partFirstByte: 0,
          partLastByte: first.length - 1,
          layerPartBlob: first,
        }),
      );
      const [part, completion] = await Promise.allSettled([
        ecr.send(
          new UploadLayerPartCommand({
            repositoryName,
            uploadId,
            partFirstByte: first.length,
            partLastByte: layer.length - 1,
            layerPartBlob: last,
          }),
        ),
        ecr.send(new CompleteLayerUploadCommand({ repositoryName, uploadId, layerDigests: [digestOf(layer)] })),
      ]);
      for (const outcome of [part, completion]) {
        if (outcome.status === 'rejected') {
          expect(httpStatusOf(outcome.reason), `round ${round}: ${String(outcome.reason)}`).toBeLessThan(500);
        }
      }
      if (completion.status === 'fulfilled') {
        // The completion saw the last part: it must have been accepted, and the layer is whole.
        expect(part.status, `round ${round}`).toBe('fulfilled');
        expect(completion.value.layerDigest).toBe(digestOf(layer));
      } else {
        // The completion came first and took the first part alone, which is not the layer given:
        // the part was too late, and no acknowledged part was left out.
        expect((completion.reason as Error).name, `round ${round}`).toBe('InvalidLayerException');
        expect(part.status, `round ${round}: the part was acknowledged but not completed`).toBe('rejected');
        if (part.status === 'rejected') {
          expect((part.reason as Error).name, `round ${round}`).toBe('UploadNotFoundException');
        }
      }
    }
    // Which order each round took is up to the machine; the two orders are each proven below by
    // construction (and a part still streaming when the completion comes, by the raw-part test).
  });

  it('part first: a completion after the last part was accepted publishes the whole layer', async () => {
    const { ecr } = longshore;
    const first = randomBytes(64 * KiB);
    const last = randomBytes(100 * KiB);
    const layer = Buffer.concat([first, last]);
    const { uploadId } = await ecr.send(new InitiateLayerUploadCommand({ repositoryName }));
    const part = (partFirstByte: number, bytes: Buffer) =>
      ecr.send(
        new UploadLayerPartCommand({
          repositoryName,
          uploadId,
          partFirstByte,
          partLastByte: partFirstByte + bytes.length - 1,
          layerPartBlob: bytes,
        }),
      );
    await part(0, first);
    await part(first.length, last);
    const completed = await ecr.send(
      new CompleteLayerUploadCommand({ repositoryName, uploadId, layerDigests: [digestOf(layer)] }),
    );
    expect(completed.layerDigest).toBe(digestOf(layer));
  });

  it('completion first: it takes the parts before it, and the part after it is UploadNotFoundException', async () => {
    const { ecr } = longshore;
    const first = randomBytes(64 * KiB);
    const last = randomBytes(100 * KiB);
    const { uploadId } = await ecr.send(new InitiateLayerUploadCommand({ repositoryName }));
    await ecr.send(
      new UploadLayerPartCommand({
        repositoryName,
        uploadId,
        partFirstByte: 0,
        partLastByte: first.length - 1,
        layerPartBlob: first,
      }),
    );
    const completed = await ecr.send(
      new CompleteLayerUploadCommand({ repositoryName, uploadId, layerDigests: [digestOf(first)] }),
    );
    expect(completed.layerDigest).toBe(digestOf(first));
    const tooLate = await rejectionOf(
      ecr.send(
        new UploadLayerPartCommand({
          repositoryName,
          uploadId,
          partFirstByte: first.length,
          partLastByte: first.length + last.length - 1,
          layerPartBlob: last,
        }),
      ),
      UploadNotFoundException,
    );
    expect(httpStatusOf(tooLate)).toBe(400);
  });

  it('a raw part still streaming when the completion arrives is fenced; the completion is not held up', async () => {
    const first = randomBytes(64 * KiB);
    const uploadId = (await longshore.ecr.send(new InitiateLayerUploadCommand({ repositoryName }))).uploadId!;
    const path = `/v1/uploads/${uploadId}/parts`;
    const put = await longshore.fetch(path, {
      method: 'PUT',
      headers: { 'content-type': 'application/octet-stream', 'content-range': `bytes 0-${first.length - 1}/*` },
      body: first,
    });
    expect(put.status).toBe(200);

    const body = controllableBody();
    body.push(randomBytes(10));
    const inFlight = longshore.fetch(
      path,
      streamedBody(body, {
        'content-type': 'application/octet-stream',
        'content-range': `bytes ${first.length}-${first.length + 999}/*`,
      }),
    );
    const redis = longshore.connectRedis();
    try {
      await claimTaken(redis, longshore.keys.upload(uploadId));
    } finally {
      await redis.quit();
    }
    const completed = await longshore.ecr.send(
      new CompleteLayerUploadCommand({ repositoryName, uploadId, layerDigests: [digestOf(first)] }),
    );
    expect(completed.layerDigest).toBe(digestOf(first));
    body.push(randomBytes(990));
    body.end();
    expect((await inFlight).status).toBe(404);
  });
});

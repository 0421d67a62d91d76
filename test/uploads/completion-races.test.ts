import { randomBytes } from 'node:crypto';
import {
  CompleteLayerUploadCommand,
  CreateRepositoryCommand,
  InitiateLayerUploadCommand,
  UploadLayerPartCommand,
} from '@aws-sdk/client-ecr';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { controllableBody, streamedBody } from '../support/controllable-body.js';
import { claimTaken } from '../support/part-claims.js';
import { digestOf } from '../support/layer-data.js';
import { startLongshore, type Longshore } from '../support/longshore-harness.js';
import { httpStatusOf } from '../support/rejection.js';

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

  it(`is answered as if the race went one way or the other, never with a 5xx (${ROUNDS} rounds)`, async () => {
    // The client makes one attempt per call (maxAttempts 1), so a 5xx is seen, not retried away.
    const { ecr } = longshore;
    const tally = { both: 0, partFirst: 0, completionFirst: 0 };
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
        tally.both += 1;
      } else if (part.status === 'fulfilled') {
        tally.partFirst += 1;
      } else {
        // The completion came first and took the first part alone: the part was too late.
        expect((part.reason as Error).name, `round ${round}`).toBe('UploadNotFoundException');
        tally.completionFirst += 1;
      }
    }
    expect(tally.both + tally.partFirst + tally.completionFirst).toBe(ROUNDS);
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

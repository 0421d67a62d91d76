import { randomBytes } from 'node:crypto';
import {
  CreateRepositoryCommand,
  DeleteRepositoryCommand,
  type ECRClient,
  InitiateLayerUploadCommand,
  RepositoryNotFoundException,
  UploadLayerPartCommand,
} from '@aws-sdk/client-ecr';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ecrClient, startLongshore, type Longshore, type ServiceProcess } from '../support/longshore-harness.js';
import { httpStatusOf, rejectionOf } from '../support/rejection.js';

/**
 * DeleteRepository leaves the records of uploads in flight as they are; a part sent to one of
 * them afterwards is answered RepositoryNotFoundException, as ECR answers it, whether it arrives
 * at the API process that initiated the upload (which remembers the upload as it left it and
 * writes the part without reading the record) or at another one (which reads the record and the
 * repository first). Nothing of the part is committed either way.
 */
describe('a part of an upload whose repository was deleted after the initiate', () => {
  let longshore: Longshore;
  let other: ServiceProcess;
  let otherEcr: ECRClient;

  beforeAll(async () => {
    longshore = await startLongshore();
    other = await longshore.startApi();
    otherEcr = ecrClient(`http://127.0.0.1:${other.port}`);
  });
  afterAll(async () => {
    otherEcr?.destroy();
    await longshore?.close();
  });

  async function partAfterDelete(repositoryName: string, partClient: ECRClient) {
    const { ecr } = longshore;
    await ecr.send(new CreateRepositoryCommand({ repositoryName }));
    const { uploadId } = await ecr.send(new InitiateLayerUploadCommand({ repositoryName }));
    await ecr.send(new DeleteRepositoryCommand({ repositoryName }));
    const bytes = randomBytes(64 * 1024);
    const refused = await rejectionOf(
      partClient.send(
        new UploadLayerPartCommand({
          repositoryName,
          uploadId,
          partFirstByte: 0,
          partLastByte: bytes.length - 1,
          layerPartBlob: bytes,
        }),
      ),
      RepositoryNotFoundException,
    );
    const redis = longshore.connectRedis();
    try {
      const record = await redis.hmget(`${longshore.keys.upload(uploadId!)}`, 'bytesReceived', 'partsReceived');
      return { refused, record };
    } finally {
      redis.disconnect();
    }
  }

  it('is answered RepositoryNotFoundException by the initiating process and by another, nothing committed', async () => {
    const here = await partAfterDelete('deleted/here', longshore.ecr);
    const elsewhere = await partAfterDelete('deleted/elsewhere', otherEcr);
    for (const { refused, record } of [here, elsewhere]) {
      expect(httpStatusOf(refused)).toBe(400);
      expect(record).toEqual(['0', '0']);
    }
    expect(here.refused.message.replace('deleted/here', 'NAME')).toBe(
      elsewhere.refused.message.replace('deleted/elsewhere', 'NAME'),
    );
  });
});

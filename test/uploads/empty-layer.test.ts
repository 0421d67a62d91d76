import {
  CompleteLayerUploadCommand,
  CreateRepositoryCommand,
  GetDownloadUrlForLayerCommand,
  InitiateLayerUploadCommand,
} from '@aws-sdk/client-ecr';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { digestOf } from '../support/layer-data.js';
import { startLongshore, type Longshore } from '../support/longshore-harness.js';

describe('an upload whose part policy allows an empty layer (the OCI door policy)', () => {
  let longshore: Longshore;
  let redis: Redis;
  const repositoryName = 'policy/empty';

  beforeAll(async () => {
    longshore = await startLongshore();
    redis = new Redis(longshore.redisUrl);
    await longshore.ecr.send(new CreateRepositoryCommand({ repositoryName }));
  });
  afterAll(async () => {
    await redis?.quit();
    await longshore?.close();
  });

  it('completes with no parts into an empty blob that downloads as 0 bytes', async () => {
    const uploadId = (await longshore.ecr.send(new InitiateLayerUploadCommand({ repositoryName }))).uploadId!;
    // The ECR door never allows it; the /v2 door initiates with {allowEmpty: true}. Stand in for it.
    await redis.hset(`${longshore.prefix}:upload:${uploadId}`, 'allowEmpty', '1');
    const empty = digestOf(Buffer.alloc(0));
    const completed = await longshore.ecr.send(
      new CompleteLayerUploadCommand({ repositoryName, uploadId, layerDigests: [empty] }),
    );
    expect(completed.layerDigest).toBe(empty);
    const { downloadUrl } = await longshore.ecr.send(
      new GetDownloadUrlForLayerCommand({ repositoryName, layerDigest: empty }),
    );
    const response = await fetch(downloadUrl!);
    expect(response.status).toBe(200);
    expect((await response.arrayBuffer()).byteLength).toBe(0);
  });
});

import http from 'node:http';
import { CreateRepositoryCommand, GetDownloadUrlForLayerCommand } from '@aws-sdk/client-ecr';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { MiB, pushLayer, randomLayer } from '../support/layer-data.js';
import { startLongshore, type Longshore } from '../support/longshore-harness.js';

const TARGET_PREFIX = 'AmazonEC2ContainerRegistry_V20150921.';

let longshore: Longshore;

beforeAll(async () => {
  // Debug logs, captured: the download test reads what the API logged. Downloads stream through
  // the API on S3 too (no redirect to the store): the download test is about the API's stream.
  longshore = await startLongshore({
    env: { LOG_LEVEL: 'debug', S3_REDIRECT_DOWNLOADS: 'false' },
    captureOutput: true,
  });
});
afterAll(async () => {
  await longshore?.close();
});

describe('a JSON body of null', () => {
  it.each(['CreateRepository', 'DescribeRepositories', 'InitiateLayerUpload'])(
    '%s answers SerializationException, as AWS does',
    async (operation) => {
      const answer = await longshore.fetch('/', {
        method: 'POST',
        headers: { 'content-type': 'application/x-amz-json-1.1', 'x-amz-target': `${TARGET_PREFIX}${operation}` },
        body: 'null',
      });
      expect(answer.status).toBe(400);
      expect(answer.headers.get('x-amzn-errortype')).toBe('SerializationException');
      expect(await answer.json()).toMatchObject({ __type: 'SerializationException' });
    },
  );
});

describe('a client that hangs up mid-download', () => {
  it('is logged as a closed download, not as an unhandled error', async () => {
    const name = 'edge/download';
    await longshore.ecr.send(new CreateRepositoryCommand({ repositoryName: name }));
    const layer = randomLayer(16 * MiB);
    await pushLayer(longshore.ecr, name, layer);
    const { downloadUrl } = await longshore.ecr.send(
      new GetDownloadUrlForLayerCommand({ repositoryName: name, layerDigest: layer.digest }),
    );

    await new Promise<void>((resolve, reject) => {
      const req = http.get(downloadUrl!, { agent: false }, (res) => {
        expect(res.statusCode).toBe(200);
        res.once('data', () => {
          req.destroy();
          resolve();
        });
      });
      req.on('error', (err) => (req.destroyed ? undefined : reject(err)));
    });

    const lines = () => longshore.api.output.map((line) => JSON.parse(line) as { msg?: string });
    await vi.waitFor(() => expect(lines().map((l) => l.msg)).toContain('client closed the download before it ended'), {
      timeout: 10_000,
    });
    expect(lines().filter((l) => l.msg === 'unhandled error')).toEqual([]);
    // And the service goes on serving.
    expect((await longshore.fetch('/healthz')).status).toBe(200);
  });
});

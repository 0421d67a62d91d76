import { CreateRepositoryCommand, DescribeRepositoriesCommand } from '@aws-sdk/client-ecr';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MiB, pushLayer, randomLayer } from '../support/layer-data.js';
import { startLongshore, type Longshore } from '../support/longshore-harness.js';

const DESCRIBE = 'AmazonEC2ContainerRegistry_V20150921.DescribeRepositories';
const OPERATION_LIMIT = 64 * 1024;

/**
 * Issue 15 item 5: the ECR door reads a body (within MAX_OPERATION_BODY_BYTES, but for
 * UploadLayerPart's MAX_REQUEST_BYTES), hashes it, verifies the signature, and only then parses it.
 */
describe('the ECR door authenticates before it parses', () => {
  let longshore: Longshore;
  const repositoryName = 'parse/after-auth';

  beforeAll(async () => {
    longshore = await startLongshore({ env: { MAX_OPERATION_BODY_BYTES: String(OPERATION_LIMIT) } });
    await longshore.ecr.send(new CreateRepositoryCommand({ repositoryName }));
  });
  afterAll(() => longshore?.close());

  /** A DescribeRepositories of valid JSON, `size` bytes long. */
  const paddedBody = (size: number) => {
    const shell = JSON.stringify({ repositoryNames: [repositoryName], pad: '' });
    return shell.replace('"pad":""', `"pad":"${'x'.repeat(size - shell.length)}"`);
  };
  const post = async (body: string, auth?: 'anonymous') => {
    const answer = await longshore.fetch(
      '/',
      { method: 'POST', headers: { 'content-type': 'application/x-amz-json-1.1', 'x-amz-target': DESCRIBE }, body },
      auth,
    );
    return { type: answer.headers.get('x-amzn-errortype'), body: (await answer.json()) as { message?: string } };
  };

  it('refuses an unsigned body over the limit as too large, without reading it as JSON', async () => {
    const answer = await post(paddedBody(OPERATION_LIMIT + 1), 'anonymous');
    expect(answer.type).toBe('InvalidParameterException');
    expect(answer.body.message).toMatch(/larger than/);
  });

  it('holds signed bodies of every operation but UploadLayerPart to the same limit', async () => {
    const answer = await post(paddedBody(OPERATION_LIMIT + 1));
    expect(answer.type).toBe('InvalidParameterException');
    expect(answer.body.message).toMatch(/larger than/);
    // Within the limit, the same request is served.
    const within = await post(paddedBody(OPERATION_LIMIT - 16));
    expect(within.type).toBeNull();
    // A 1 MiB part (over 1.3 MiB of JSON) is still taken, streamed, under MAX_REQUEST_BYTES.
    const layer = randomLayer(1 * MiB);
    expect((await pushLayer(longshore.ecr, repositoryName, layer, 5 * MiB)).layerDigest).toBe(layer.digest);
  });

  it('answers a body that is not JSON as unauthenticated when unsigned, as not JSON only once signed', async () => {
    expect((await post('{"repositoryNames": [', 'anonymous')).type).toBe('MissingAuthenticationTokenException');
    expect((await post('{"repositoryNames": [')).type).toBe('SerializationException');
    const described = await longshore.ecr.send(new DescribeRepositoriesCommand({ repositoryNames: [repositoryName] }));
    expect(described.repositories?.[0]?.repositoryName).toBe(repositoryName);
  });
});

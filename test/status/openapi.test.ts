import { randomUUID } from 'node:crypto';
import { CreateRepositoryCommand, InitiateLayerUploadCommand, type ECRClient } from '@aws-sdk/client-ecr';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MiB, digestOf, pushLayer, randomLayer, uploadParts } from '../support/layer-data.js';
import { startLongshore, type Longshore } from '../support/longshore-harness.js';
import { OpenApiResponses, type OpenApiDocument } from '../support/openapi-responses.js';
import {
  callJson,
  completeUpload,
  dataOf,
  errorOf,
  getUpload,
  putPart,
  waitForFinalStatus,
  type JsonAnswer,
} from '../support/status-client.js';

const COMPLETE = '/v1/uploads/{uploadId}/complete';
const STATUS = '/v1/uploads/{uploadId}';
const PARTS = '/v1/uploads/{uploadId}/parts';

describe('the OpenAPI document of /v1 describes what the service answers', () => {
  let longshore: Longshore;
  let ecr: ECRClient;
  let endpoint: string;
  let openApi: OpenApiResponses;
  let documentedCodes: string[];

  beforeAll(async () => {
    longshore = await startLongshore();
    ecr = longshore.ecr;
    endpoint = longshore.endpoint;
    const response = await fetch(`${endpoint}/v1/openapi.json`);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toMatch(/^application\/json/);
    const document = (await response.json()) as OpenApiDocument;
    openApi = new OpenApiResponses(document);
    const errorSchema = (
      document.components as {
        schemas: Record<string, { properties: { error: { properties: { code: { examples: string[] } } } } }>;
      }
    ).schemas.ErrorEnvelope;
    documentedCodes = errorSchema!.properties.error.properties.code.examples;
  });
  afterAll(() => longshore?.close());

  /** Fails with every violation when `answer` is not what the document says `method path` answers. */
  function expectDocumented(path: string, method: string, answer: JsonAnswer<unknown>): void {
    const check = openApi.check(path, method, answer.status, answer.headers.get('content-type'), answer.body);
    expect(check.errors, `${method} ${path} ${answer.status}: ${JSON.stringify(answer.body)}`).toEqual([]);
    expect(
      check.undocumented,
      `${method} ${path} ${answer.status} sends members the document does not describe`,
    ).toEqual([]);
    if (!answer.body.success)
      expect(documentedCodes, 'the error codes the document lists').toContain(answer.body.error.code);
  }

  async function newRepository(): Promise<string> {
    const repositoryName = `openapi/r${randomUUID().slice(0, 8)}`;
    await ecr.send(new CreateRepositoryCommand({ repositoryName }));
    return repositoryName;
  }

  it('is an OpenAPI 3.1 document', () => {
    expect(openApi.document.openapi).toMatch(/^3\.1\./);
    expect(
      openApi
        .operations()
        .map((o) => `${o.method} ${o.path}`)
        .sort(),
    ).toEqual([`get ${STATUS}`, `post ${COMPLETE}`, `put ${PARTS}`].sort());
  });

  it('documents the 202 of an async completion and the 200s of status reads and long polls', async () => {
    const repositoryName = await newRepository();
    const layer = randomLayer(5 * MiB + 99);
    const uploadId = await uploadParts(ecr, repositoryName, layer.bytes, 5 * MiB);

    expectDocumented(STATUS, 'get', await getUpload(endpoint, uploadId));

    const accepted = await completeUpload(endpoint, uploadId, { repositoryName, layerDigests: [layer.digest] });
    expect(accepted.status).toBe(202);
    expectDocumented(COMPLETE, 'post', accepted);

    const polled = await getUpload(endpoint, uploadId, 10);
    expect(polled.status).toBe(200);
    expectDocumented(STATUS, 'get', polled);

    await waitForFinalStatus(endpoint, uploadId);
    const completed = await getUpload(endpoint, uploadId, 10);
    expect(dataOf(completed).status).toBe('completed');
    expectDocumented(STATUS, 'get', completed);

    const joined = await completeUpload(endpoint, uploadId, { repositoryName, layerDigests: [layer.digest] });
    expect(joined.status).toBe(202);
    expectDocumented(COMPLETE, 'post', joined);
  });

  it("documents a failed upload's status record, with its error", async () => {
    const repositoryName = await newRepository();
    const layer = randomLayer(1000);
    const uploadId = await uploadParts(ecr, repositoryName, layer.bytes, 5 * MiB);
    dataOf(
      await completeUpload(endpoint, uploadId, { repositoryName, layerDigests: [digestOf(Buffer.from('other'))] }),
    );
    await waitForFinalStatus(endpoint, uploadId);
    const failed = await getUpload(endpoint, uploadId);
    expect(dataOf(failed).status).toBe('failed');
    expectDocumented(STATUS, 'get', failed);
  });

  it('documents the 200 of a raw part and the 416 of an out-of-order one', async () => {
    const repositoryName = await newRepository();
    const { uploadId } = await ecr.send(new InitiateLayerUploadCommand({ repositoryName }));
    const stored = await putPart(endpoint, uploadId!, Buffer.alloc(5 * MiB, 1), 0);
    expect(stored.status).toBe(200);
    expectDocumented(PARTS, 'put', stored);

    const outOfOrder = await putPart(endpoint, uploadId!, Buffer.alloc(10, 2), 5 * MiB + 10);
    expect(outOfOrder.status).toBe(416);
    expect(errorOf(outOfOrder).details).toMatchObject({ lastValidByteReceived: 5 * MiB - 1 });
    expectDocumented(PARTS, 'put', outOfOrder);

    const badRange = await callJson(endpoint, 'PUT', `/v1/uploads/${uploadId}/parts`, {
      headers: { 'content-type': 'application/octet-stream', 'content-range': 'bytes=0-9' },
      body: Buffer.alloc(10),
    });
    expect(badRange.status).toBe(400);
    expectDocumented(PARTS, 'put', badRange);

    const unknown = await putPart(endpoint, randomUUID(), Buffer.alloc(10), 0);
    expect(unknown.status).toBe(404);
    expectDocumented(PARTS, 'put', unknown);
  });

  it('documents the 404s and 400s of status reads', async () => {
    const unknown = await getUpload(endpoint, randomUUID());
    expect(unknown.status).toBe(404);
    expectDocumented(STATUS, 'get', unknown);

    const badId = await getUpload(endpoint, 'not-an-id');
    expect(badId.status).toBe(400);
    expectDocumented(STATUS, 'get', badId);

    const badWait = await callJson(endpoint, 'GET', `/v1/uploads/${randomUUID()}?wait=forever`);
    expect(badWait.status).toBe(400);
    expectDocumented(STATUS, 'get', badWait);
  });

  it('documents the errors of a completion: 400, 404 and 409', async () => {
    const repositoryName = await newRepository();
    const { uploadId } = await ecr.send(new InitiateLayerUploadCommand({ repositoryName }));
    const digest = digestOf(Buffer.from('x'));

    const invalid = await completeUpload(endpoint, uploadId!, { repositoryName, layerDigests: [] });
    expect(invalid.status).toBe(400);
    expectDocumented(COMPLETE, 'post', invalid);

    const wrongType = await completeUpload(endpoint, uploadId!, { repositoryName: ['a'], layerDigests: [digest] });
    expect(wrongType.status).toBe(400);
    expectDocumented(COMPLETE, 'post', wrongType);

    const empty = await completeUpload(endpoint, uploadId!, { repositoryName, layerDigests: [digest] });
    expect(empty.status).toBe(400);
    expect(errorOf(empty).code).toBe('EMPTY_UPLOAD');
    expectDocumented(COMPLETE, 'post', empty);

    const noUpload = await completeUpload(endpoint, randomUUID(), { repositoryName, layerDigests: [digest] });
    expect(noUpload.status).toBe(404);
    expectDocumented(COMPLETE, 'post', noUpload);

    const noRepository = await completeUpload(endpoint, uploadId!, {
      repositoryName: 'openapi/missing',
      layerDigests: [digest],
    });
    expect(noRepository.status).toBe(404);
    expect(errorOf(noRepository).code).toBe('REPOSITORY_NOT_FOUND');
    expectDocumented(COMPLETE, 'post', noRepository);

    const layer = randomLayer(777);
    await pushLayer(ecr, repositoryName, layer);
    const again = await uploadParts(ecr, repositoryName, layer.bytes, 5 * MiB);
    const exists = await completeUpload(endpoint, again, { repositoryName, layerDigests: [layer.digest] });
    expect(exists.status).toBe(409);
    expect(errorOf(exists).code).toBe('LAYER_ALREADY_EXISTS');
    expectDocumented(COMPLETE, 'post', exists);
  });

  it('describes only paths the service serves', async () => {
    for (const { path, method } of openApi.operations()) {
      const url = path.replace('{uploadId}', randomUUID());
      const answer = await callJson(endpoint, method.toUpperCase(), url, {
        headers: {
          'content-type': method === 'put' ? 'application/octet-stream' : 'application/json',
          'content-range': 'bytes 0-0/*',
        },
        ...(method === 'get' ? {} : { body: method === 'put' ? Buffer.alloc(1) : '{}' }),
      });
      expect(answer.body.success ? '' : answer.body.error.code, `${method} ${path}`).not.toBe('NOT_FOUND');
      expectDocumented(path, method, answer);
    }
    // The check can fail: a path nobody serves answers NOT_FOUND.
    const unserved = await callJson(endpoint, 'GET', '/v1/uploads');
    expect(unserved.status).toBe(404);
    expect(errorOf(unserved).code).toBe('NOT_FOUND');
  });
});

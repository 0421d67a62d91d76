import { randomBytes } from 'node:crypto';
import { CompleteLayerUploadCommand, CreateRepositoryCommand, InitiateLayerUploadCommand } from '@aws-sdk/client-ecr';
import { ecrType, LongshoreError, validateEcrInput } from '@longshore/domain';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { digestOf } from '../support/layer-data.js';
import { startLongshore, type Longshore } from '../support/longshore-harness.js';

const TARGET = 'AmazonEC2ContainerRegistry_V20150921.UploadLayerPart';

/**
 * UploadLayerPart's body is read as it streams (the part's base64 decoded on arrival, never
 * buffered whole). These tests hold it to the answers of the buffered reading: express.json's
 * JSON.parse, then the model's validation, whatever the order of the fields.
 */
describe('UploadLayerPart with a streamed body', () => {
  let longshore: Longshore;
  const repositoryName = 'streamed/part';

  beforeAll(async () => {
    longshore = await startLongshore({ env: { MIN_PART_SIZE: '1' } });
    await longshore.ecr.send(new CreateRepositoryCommand({ repositoryName }));
  });
  afterAll(() => longshore?.close());

  const initiate = async () => (await longshore.ecr.send(new InitiateLayerUploadCommand({ repositoryName }))).uploadId!;

  async function post(body: string) {
    const response = await longshore.fetch('/', {
      method: 'POST',
      headers: { 'content-type': 'application/x-amz-json-1.1', 'x-amz-target': TARGET },
      body,
    });
    return { status: response.status, body: (await response.json()) as Record<string, unknown> };
  }

  /** What the buffered reading answers for `body` before any operation runs. */
  function bufferedVerdict(body: string): { __type: string; message: string } {
    let parsed: unknown;
    try {
      parsed = body.length === 0 ? {} : JSON.parse(body);
    } catch (err) {
      return {
        __type: 'SerializationException',
        message: `The request body is not valid JSON: ${(err as Error).message}`,
      };
    }
    try {
      validateEcrInput('UploadLayerPart', parsed);
    } catch (err) {
      if (err instanceof LongshoreError) return { __type: ecrType(err.name), message: err.message };
      throw err;
    }
    throw new Error(`the body passes validation: ${body.slice(0, 200)}`);
  }

  it('answers every malformed body exactly as the buffered reading, the part first or last', async () => {
    const uploadId = await initiate();
    const part = randomBytes(3000).toString('base64');
    const oversized = randomBytes(20 * 1024 * 1024 + 1).toString('base64');
    const fields = `"repositoryName":"${repositoryName}","uploadId":"${uploadId}","partFirstByte":0,"partLastByte":2999`;
    const bodies = [
      `{"layerPartBlob":"${part}","repositoryName":"${repositoryName}"}`, // required fields missing, part first
      `{"layerPartBlob":"${part}",${fields.replace('"partFirstByte":0', '"partFirstByte":"0"')}}`, // wrong type after the part
      `{"layerPartBlob":"${part}","repositoryName":"Bad Name!","uploadId":"${uploadId}","partFirstByte":-1,"partLastByte":2999}`,
      `{${fields},"layerPartBlob":"${part.slice(0, -1)}!"}`, // outside the alphabet
      `{${fields},"layerPartBlob":"${part.slice(0, -2)}"}`, // not a multiple of 4
      `{${fields},"layerPartBlob":"${part.replace(/\//g, '_')}_"}`, // URL-safe alphabet
      `{"layerPartBlob":"${part}",${fields},}`, // a syntax error after the part
      `{"layerPartBlob":"${part}`, // cut off inside the part
      `{"layerPartBlob":${part.length}}`, // not a string
      `{"layerPartBlob":"${oversized}",${fields}}`, // larger than a part may be
      `{"layerPartBlob":"${oversized}","repositoryName":"x y"}`, // larger, and other violations
      `{"layerPartBl\\u006fb":"${part}","repositoryName":"x y"}`, // the key escaped
      `{"layerPartBlob":"${part.replace(/\//g, '\\/')}","repositoryName":"x y"}`, // escapes in the part
      `["layerPartBlob"]`,
      'null',
    ];
    for (const body of bodies) {
      const answer = await post(body);
      expect(answer.status, body.slice(0, 120)).toBe(400);
      expect({ __type: answer.body.__type, message: answer.body.message }, body.slice(0, 120)).toEqual(
        bufferedVerdict(body),
      );
    }
  });

  it('takes a part whose blob comes before the other fields, and completes the layer', async () => {
    const uploadId = await initiate();
    const layer = randomBytes(5 * 1024 * 1024 + 2); // padded base64 (5 MiB + 2 is not a multiple of 3)
    const body = `{ "layerPartBlob" : "${layer.toString('base64')}", "partLastByte": ${layer.length - 1},
      "uploadId": "${uploadId}", "partFirstByte": 0, "repositoryName": "${repositoryName}" }`;
    const answer = await post(body);
    expect(answer.status).toBe(200);
    expect(answer.body.lastByteReceived).toBe(layer.length - 1);
    const completed = await longshore.ecr.send(
      new CompleteLayerUploadCommand({ repositoryName, uploadId, layerDigests: [digestOf(layer)] }),
    );
    expect(completed.layerDigest).toBe(digestOf(layer));
  });
});

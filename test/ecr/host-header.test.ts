import { CreateRepositoryCommand, DescribeRepositoriesCommand, RepositoryNotFoundException } from '@aws-sdk/client-ecr';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pushLayer, randomLayer } from '../support/layer-data.js';
import { startLongshore, type Longshore } from '../support/longshore-harness.js';
import { rawRequest } from '../support/raw-http.js';
import { signRequest, testAdminKey } from '../support/request-signing.js';

const TARGET_PREFIX = 'AmazonEC2ContainerRegistry_V20150921.';
const MALFORMED_HOSTS = ['a b', '[::1', 'evil:99999', 'x@evil.example', 'evil.example/path'];

let longshore: Longshore;

beforeAll(async () => {
  longshore = await startLongshore();
});
afterAll(async () => {
  await longshore?.close();
});

/**
 * An ECR request sent to the service with `host` as its Host header. A well-formed host is signed
 * as the client that typed it would sign it (SigV4 covers the Host), so the answer is about the
 * host, not the signature; a malformed one cannot be signed, and is refused before authentication.
 */
async function ecrRequest(operation: string, body: object, host: string) {
  const init = {
    method: 'POST',
    headers: { 'content-type': 'application/x-amz-json-1.1', 'x-amz-target': `${TARGET_PREFIX}${operation}` },
    body: JSON.stringify(body),
  };
  const asTyped = wellFormedUrl(host);
  const signed = asTyped ? await signRequest(asTyped, init, testAdminKey) : init;
  const headers: Record<string, string> = {};
  new Headers(signed.headers).forEach((value, name) => {
    headers[name] = value;
  });
  return rawRequest(`${longshore.endpoint}/`, { method: 'POST', headers: { ...headers, host }, body: init.body });
}

function wellFormedUrl(host: string): URL | undefined {
  try {
    const url = new URL(`http://${host}/`);
    return url.host === host.toLowerCase() ? url : undefined;
  } catch {
    return undefined;
  }
}

function expectEcrError(answer: { status: number; headers: Record<string, unknown>; text: string }, type: string) {
  expect(answer.status).toBe(400);
  expect(answer.headers['x-amzn-errortype']).toBe(type);
  expect(JSON.parse(answer.text)).toMatchObject({ __type: type, message: expect.stringContaining('Host') });
}

async function repositoryExists(name: string): Promise<boolean> {
  try {
    await longshore.ecr.send(new DescribeRepositoriesCommand({ repositoryNames: [name] }));
    return true;
  } catch (error) {
    if (error instanceof RepositoryNotFoundException) return false;
    throw error;
  }
}

describe('a malformed Host header', () => {
  it.each(MALFORMED_HOSTS)('%j: CreateRepository answers 400 and creates nothing', async (host) => {
    const name = `host/create-${MALFORMED_HOSTS.indexOf(host)}`;
    expectEcrError(await ecrRequest('CreateRepository', { repositoryName: name }, host), 'InvalidParameterException');
    expect(await repositoryExists(name)).toBe(false);
  });

  it('DeleteRepository answers 400 and deletes nothing; GetDownloadUrlForLayer answers 400', async () => {
    const name = 'host/delete';
    await longshore.ecr.send(new CreateRepositoryCommand({ repositoryName: name }));
    const layer = randomLayer(4096);
    await pushLayer(longshore.ecr, name, layer);
    for (const host of MALFORMED_HOSTS) {
      expectEcrError(
        await ecrRequest('DeleteRepository', { repositoryName: name, force: true }, host),
        'InvalidParameterException',
      );
      expectEcrError(
        await ecrRequest('GetDownloadUrlForLayer', { repositoryName: name, layerDigest: layer.digest }, host),
        'InvalidParameterException',
      );
    }
    expect(await repositoryExists(name)).toBe(true);
  });

  it('answers 400 in the /v1 envelope on the status API', async () => {
    const answer = await rawRequest(`${longshore.endpoint}/v1/uploads/00000000-0000-4000-8000-000000000000`, {
      headers: { host: '[::1' },
    });
    expect(answer.status).toBe(400);
    expect(JSON.parse(answer.text)).toMatchObject({
      success: false,
      error: { code: 'VALIDATION_ERROR', field: 'Host', message: expect.stringContaining('[::1') },
    });
  });
});

describe('a Host the service was not configured for (no PUBLIC_URL)', () => {
  const port = () => new URL(longshore.endpoint).port;

  it('never becomes the host of repositoryUri: CreateRepository answers 400 and creates nothing', async () => {
    const name = 'host/foreign';
    expectEcrError(
      await ecrRequest('CreateRepository', { repositoryName: name }, `evil.example:${port()}`),
      'InvalidParameterException',
    );
    expect(await repositoryExists(name)).toBe(false);
    const created = await ecrRequest('CreateRepository', { repositoryName: name }, `localhost:${port()}`);
    expect(created.status).toBe(200);
    expect(JSON.parse(created.text).repository.repositoryUri).toBe(`localhost:${port()}/${name}`);
  });

  it('never becomes the host of a signed download URL', async () => {
    const name = 'host/download';
    await longshore.ecr.send(new CreateRepositoryCommand({ repositoryName: name }));
    const layer = randomLayer(2048);
    await pushLayer(longshore.ecr, name, layer);
    const body = { repositoryName: name, layerDigest: layer.digest };
    expectEcrError(
      await ecrRequest('GetDownloadUrlForLayer', body, `attacker.example:${port()}`),
      'InvalidParameterException',
    );
    const allowed = await ecrRequest('GetDownloadUrlForLayer', body, `127.0.0.1:${port()}`);
    expect(allowed.status).toBe(200);
    expect(new URL(JSON.parse(allowed.text).downloadUrl).host).toBe(`127.0.0.1:${port()}`);
  });

  it('does not stop uploads, which put the host nowhere', async () => {
    const name = 'host/upload';
    await longshore.ecr.send(new CreateRepositoryCommand({ repositoryName: name }));
    const answer = await ecrRequest('InitiateLayerUpload', { repositoryName: name }, `elsewhere.example:${port()}`);
    expect(answer.status).toBe(200);
    expect(JSON.parse(answer.text).uploadId).toMatch(/^[0-9a-f-]{36}$/);
  });
});

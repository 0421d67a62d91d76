import http from 'node:http';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { DescribeRepositoriesCommand, ECRClient, ECRServiceException } from '@aws-sdk/client-ecr';
import { NodeHttpHandler } from '@smithy/node-http-handler';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { teamAKey, writeCredentialsFile } from '../support/credentials-file.js';
import { startLongshore, type Longshore } from '../support/longshore-harness.js';
import { sampleSum, scrapeMetrics } from '../support/prometheus-text.js';
import { httpStatusOf, rejectionOf } from '../support/rejection.js';
import { signRequest, testAdminKey, type TestCredentials } from '../support/request-signing.js';

const LIMIT = 3;

/** An SDK client whose connections come from `sourceAddress` (any 127.x address is loopback on Linux). */
function clientFrom(endpoint: string, sourceAddress: string, credentials: TestCredentials): ECRClient {
  return new ECRClient({
    endpoint,
    region: 'us-east-1',
    credentials,
    maxAttempts: 1,
    requestHandler: new NodeHttpHandler({ httpAgent: new http.Agent({ localAddress: sourceAddress }) }),
  });
}

async function failsWith(client: ECRClient, name: string): Promise<ECRServiceException> {
  const error = await rejectionOf(client.send(new DescribeRepositoriesCommand({})), ECRServiceException);
  expect(error.name).toBe(name);
  return error;
}

/** A raw signed request from `sourceAddress`: its status and Retry-After. */
async function rawFrom(endpoint: string, sourceAddress: string, credentials: TestCredentials) {
  const url = new URL(`${endpoint}/`);
  const init = await signRequest(
    url,
    {
      method: 'POST',
      headers: {
        'content-type': 'application/x-amz-json-1.1',
        'x-amz-target': 'AmazonEC2ContainerRegistry_V20150921.DescribeRepositories',
      },
      body: '{}',
    },
    credentials,
  );
  return new Promise<{ status: number; retryAfter: string | undefined; type: string | undefined }>(
    (resolve, reject) => {
      const req = http.request(
        url,
        { method: 'POST', headers: Object.fromEntries(new Headers(init.headers)), localAddress: sourceAddress },
        (res) => {
          res.resume();
          res.on('end', () =>
            resolve({
              status: res.statusCode ?? 0,
              retryAfter: res.headers['retry-after'] as string | undefined,
              type: res.headers['x-amzn-errortype'] as string | undefined,
            }),
          );
        },
      );
      req.on('error', reject);
      req.end('{}');
    },
  );
}

describe('failed authentication is rate-limited per source and per key', () => {
  let longshore: Longshore;
  let dir: string;

  beforeAll(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'longshore-throttle-'));
    const credentialsFile = await writeCredentialsFile(dir, { keys: [teamAKey] });
    longshore = await startLongshore({
      env: { CREDENTIALS_FILE: credentialsFile, AUTH_FAILURE_LIMIT: String(LIMIT), AUTH_FAILURE_WINDOW_SECONDS: '300' },
    });
  });
  afterAll(async () => {
    await longshore?.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('throttles a key after too many wrong signatures, from any source, but not other keys', async () => {
    const wrongSecret = { accessKeyId: testAdminKey.accessKeyId, secretAccessKey: 'guessing-the-secret' };
    for (let i = 0; i < LIMIT; i++) {
      await failsWith(clientFrom(longshore.endpoint, '127.0.0.2', wrongSecret), 'InvalidSignatureException');
    }
    // Now even the right secret, from the same source or another one, is refused for that key.
    const throttled = await failsWith(clientFrom(longshore.endpoint, '127.0.0.3', testAdminKey), 'ThrottlingException');
    expect(httpStatusOf(throttled)).toBe(400);
    const raw = await rawFrom(longshore.endpoint, '127.0.0.3', testAdminKey);
    expect(raw.status).toBe(400);
    expect(raw.type).toBe('ThrottlingException');
    expect(Number(raw.retryAfter)).toBeGreaterThan(0);
    expect(Number(raw.retryAfter)).toBeLessThanOrEqual(300);

    // Another key from another source is unaffected.
    const answer = await clientFrom(longshore.endpoint, '127.0.0.4', teamAKey).send(
      new DescribeRepositoriesCommand({}),
    );
    expect(answer.repositories).toEqual([]);
  });

  it('throttles a source after too many unknown keys, whatever key it then presents', async () => {
    for (let i = 0; i < LIMIT; i++) {
      const stranger = { accessKeyId: `AKIASTRANGER${i}0000000`, secretAccessKey: 'whatever-secret' };
      await failsWith(clientFrom(longshore.endpoint, '127.0.0.5', stranger), 'UnrecognizedClientException');
    }
    await failsWith(clientFrom(longshore.endpoint, '127.0.0.5', teamAKey), 'ThrottlingException');
    // The same key from elsewhere still works.
    await clientFrom(longshore.endpoint, '127.0.0.6', teamAKey).send(new DescribeRepositoriesCommand({}));
  });

  it('counts failures and throttled requests in metrics, without key ids or secrets', async () => {
    const text = await (await fetch(longshore.metricsUrl)).text();
    const scrape = await scrapeMetrics(longshore.metricsUrl);
    expect(
      sampleSum(scrape, 'longshore_auth_failures_total', { door: 'ecr', reason: 'InvalidSignatureException' }),
    ).toBe(LIMIT);
    expect(
      sampleSum(scrape, 'longshore_auth_failures_total', { door: 'ecr', reason: 'UnrecognizedClientException' }),
    ).toBe(LIMIT);
    expect(
      sampleSum(scrape, 'longshore_auth_throttled_total', { door: 'ecr', cause: 'failures' }),
    ).toBeGreaterThanOrEqual(3);
    expect(text).not.toContain(testAdminKey.accessKeyId);
    expect(text).not.toContain(testAdminKey.secretAccessKey);
    expect(text).not.toContain('guessing-the-secret');
  });
});

describe('per-key request quotas (KEY_REQUEST_QUOTA)', () => {
  let longshore: Longshore;
  const QUOTA = 4;

  beforeAll(async () => {
    longshore = await startLongshore({
      env: { KEY_REQUEST_QUOTA: String(QUOTA), KEY_REQUEST_QUOTA_WINDOW_SECONDS: '300' },
    });
  });
  afterAll(() => longshore?.close());

  it('answers ThrottlingException with Retry-After once a key has spent its quota', async () => {
    for (let i = 0; i < QUOTA; i++) await longshore.ecr.send(new DescribeRepositoriesCommand({}));
    const error = await failsWith(longshore.ecr, 'ThrottlingException');
    expect(error.message).toMatch(/quota/);
    const raw = await rawFrom(longshore.endpoint, '127.0.0.1', testAdminKey);
    expect(raw.type).toBe('ThrottlingException');
    expect(Number(raw.retryAfter)).toBeGreaterThan(0);
  });
});

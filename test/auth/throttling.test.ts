import http from 'node:http';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { DescribeRepositoriesCommand, ECRClient, ECRServiceException } from '@aws-sdk/client-ecr';
import { NodeHttpHandler } from '@smithy/node-http-handler';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AuthFailureLimiter } from '@longshore/auth';
import type { RedisClient } from '@longshore/queue';
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

/** One raw request from `sourceAddress` to `url`: status, Retry-After and body. */
function requestFrom(
  url: string,
  sourceAddress: string,
  options: { method?: string; headers?: Record<string, string>; body?: string | Buffer } = {},
) {
  return new Promise<{ status: number; retryAfter: string | undefined; type: string | undefined; text: string }>(
    (resolve, reject) => {
      const req = http.request(
        url,
        { method: options.method ?? 'GET', headers: options.headers, localAddress: sourceAddress, agent: false },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (chunk: Buffer) => chunks.push(chunk));
          res.on('end', () =>
            resolve({
              status: res.statusCode ?? 0,
              retryAfter: res.headers['retry-after'] as string | undefined,
              type: res.headers['x-amzn-errortype'] as string | undefined,
              text: Buffer.concat(chunks).toString('utf8'),
            }),
          );
        },
      );
      req.on('error', reject);
      req.end(options.body);
    },
  );
}

const basicToken = (token: string) => `Basic ${Buffer.from(`AWS:${token}`).toString('base64')}`;
const DESCRIBE = 'AmazonEC2ContainerRegistry_V20150921.DescribeRepositories';

describe('failed authentication is counted per (source, key id), and never refuses valid credentials', () => {
  let longshore: Longshore;
  let dir: string;
  let redis: RedisClient;
  let blocks: AuthFailureLimiter;

  beforeAll(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'longshore-throttle-'));
    const credentialsFile = await writeCredentialsFile(dir, { keys: [teamAKey] });
    longshore = await startLongshore({
      env: {
        CREDENTIALS_FILE: credentialsFile,
        AUTH_FAILURE_LIMIT: String(LIMIT),
        AUTH_FAILURE_WINDOW_SECONDS: '300',
        LOG_LEVEL: 'warn',
      },
      captureOutput: true,
    });
    redis = longshore.connectRedis();
    // What the operator's `longshore blocks list|lift` uses.
    blocks = new AuthFailureLimiter(redis, longshore.keys.authLimits, { maxFailures: LIMIT, windowSeconds: 300 });
  });
  afterAll(async () => {
    await redis?.quit();
    await longshore?.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('wrong signatures claiming the admin key id throttle only their own address, and never the admin', async () => {
    const wrongSecret = { accessKeyId: testAdminKey.accessKeyId, secretAccessKey: 'guessing-the-secret' };
    for (let i = 0; i < LIMIT; i++) {
      await failsWith(clientFrom(longshore.endpoint, '127.0.0.2', wrongSecret), 'InvalidSignatureException');
    }
    // The pair has used up its failures: its next failure is throttled...
    const throttled = await failsWith(clientFrom(longshore.endpoint, '127.0.0.2', wrongSecret), 'ThrottlingException');
    expect(httpStatusOf(throttled)).toBe(400);
    const raw = await rawFrom(longshore.endpoint, '127.0.0.2', wrongSecret);
    expect(raw.status).toBe(400);
    expect(raw.type).toBe('ThrottlingException');
    expect(Number(raw.retryAfter)).toBeGreaterThan(0);
    expect(Number(raw.retryAfter)).toBeLessThanOrEqual(300);
    // ...but the real admin key is served from that same address, and from any other.
    for (const source of ['127.0.0.2', '127.0.0.3']) {
      const answer = await clientFrom(longshore.endpoint, source, testAdminKey).send(
        new DescribeRepositoriesCommand({}),
      );
      expect(answer.repositories).toEqual([]);
    }
    expect((await rawFrom(longshore.endpoint, '127.0.0.2', testAdminKey)).status).toBe(200);
  });

  it('bad tokens from one address (a NAT) do not refuse a valid token from that address', async () => {
    const url = `${longshore.endpoint}/v2/`;
    for (let i = 0; i < LIMIT; i++) {
      expect((await requestFrom(url, '127.0.0.5', { headers: { authorization: basicToken('garbage') } })).status).toBe(
        401,
      );
    }
    const throttled = await requestFrom(url, '127.0.0.5', { headers: { authorization: basicToken('garbage') } });
    expect(throttled.status).toBe(429);
    expect(JSON.parse(throttled.text)).toMatchObject({ errors: [{ code: 'TOOMANYREQUESTS' }] });
    const valid = await requestFrom(url, '127.0.0.5', {
      headers: { authorization: basicToken(await longshore.loginToken(teamAKey)) },
    });
    expect(valid.status).toBe(200);
  });

  it('counts unauthenticated ECR requests against their source', async () => {
    const unsigned = () =>
      requestFrom(`${longshore.endpoint}/`, '127.0.0.7', {
        method: 'POST',
        headers: { 'content-type': 'application/x-amz-json-1.1', 'x-amz-target': DESCRIBE },
        body: '{}',
      });
    for (let i = 0; i < LIMIT; i++) expect((await unsigned()).type).toBe('MissingAuthenticationTokenException');
    expect((await unsigned()).type).toBe('ThrottlingException');
    // Signed requests from that address are served.
    expect((await rawFrom(longshore.endpoint, '127.0.0.7', teamAKey)).status).toBe(200);
  });

  it('lets the operator list and lift blocks', async () => {
    const listed = await blocks.listBlocks();
    expect(listed.map(({ source, accessKeyId }) => ({ source, accessKeyId }))).toEqual(
      expect.arrayContaining([
        { source: '127.0.0.2', accessKeyId: testAdminKey.accessKeyId },
        { source: '127.0.0.5', accessKeyId: undefined },
        { source: '127.0.0.7', accessKeyId: undefined },
      ]),
    );
    for (const block of listed) {
      expect(block.failures).toBeGreaterThanOrEqual(LIMIT);
      expect(block.until).toBeGreaterThan(Date.now());
    }
    expect(await blocks.liftBlock({ source: '127.0.0.2', accessKeyId: testAdminKey.accessKeyId })).toBe(true);
    expect(await blocks.liftBlock({ source: '127.0.0.2', accessKeyId: testAdminKey.accessKeyId })).toBe(false);
    const wrongSecret = { accessKeyId: testAdminKey.accessKeyId, secretAccessKey: 'guessing-the-secret' };
    // Lifted: the next failure is answered as a failure again, not throttled.
    await failsWith(clientFrom(longshore.endpoint, '127.0.0.2', wrongSecret), 'InvalidSignatureException');
    expect((await blocks.listBlocks()).map((b) => b.source)).not.toContain('127.0.0.2');
  });

  it('gives every (source, key id) counter its own Redis Cluster hash tag', async () => {
    const prefix = `${longshore.keys.authLimits}:auth-failures:`;
    const counters = await redis.keys(`${prefix}*`);
    expect(counters).toEqual(
      expect.arrayContaining([`${prefix}{127.0.0.2|${testAdminKey.accessKeyId}}`, `${prefix}{127.0.0.5|-}`]),
    );
    // The prefix carries no tag of its own: each counter hashes by its pair alone.
    for (const key of counters) expect(key.slice(prefix.length)).toMatch(/^\{[^{}]+\|[^{}]+\}$/);
    expect(prefix).not.toMatch(/[{}]/);
  });

  it('logs the key id of a failed login shortened, unless it is a configured key', async () => {
    const pasted = 'AKIAPASTEDSECRETLOOKINGVALUE1234567890abcdef';
    await failsWith(
      clientFrom(longshore.endpoint, '127.0.0.9', { accessKeyId: pasted, secretAccessKey: 'x-secret-x' }),
      'UnrecognizedClientException',
    );
    const lines = () => longshore.api.output.filter((line) => line.includes('authentication failed'));
    await expect.poll(() => lines().some((line) => line.includes('127.0.0.9'))).toBe(true);
    expect(longshore.api.output.join('\n')).not.toContain(pasted);
    expect(lines().find((line) => line.includes('127.0.0.9'))).toContain('"accessKeyId":"AKIAPAST…"');
    expect(lines().find((line) => line.includes('127.0.0.2'))).toContain(`"accessKeyId":"${testAdminKey.accessKeyId}"`);
  });

  it('counts failures and throttled requests in metrics, without key ids or secrets', async () => {
    const text = await (await fetch(longshore.metricsUrl)).text();
    const scrape = await scrapeMetrics(longshore.metricsUrl);
    expect(
      sampleSum(scrape, 'longshore_auth_failures_total', { door: 'ecr', reason: 'InvalidSignatureException' }),
    ).toBeGreaterThanOrEqual(LIMIT);
    expect(
      sampleSum(scrape, 'longshore_auth_throttled_total', { door: 'ecr', cause: 'failures' }),
    ).toBeGreaterThanOrEqual(2);
    expect(text).not.toContain(testAdminKey.accessKeyId);
    expect(text).not.toContain(testAdminKey.secretAccessKey);
    expect(text).not.toContain('guessing-the-secret');
  });
});

describe('TRUST_PROXY: failures counted by the forwarded client address', () => {
  let longshore: Longshore;
  let redis: RedisClient;

  beforeAll(async () => {
    longshore = await startLongshore({
      env: { AUTH_FAILURE_LIMIT: String(LIMIT), AUTH_FAILURE_WINDOW_SECONDS: '300', TRUST_PROXY: 'loopback' },
    });
    redis = longshore.connectRedis();
  });
  afterAll(async () => {
    await redis?.quit();
    await longshore?.close();
  });

  it('behind a trusted proxy, blocks the client named by X-Forwarded-For, not the proxy', async () => {
    const blocks = new AuthFailureLimiter(redis, longshore.keys.authLimits, { maxFailures: LIMIT, windowSeconds: 300 });
    const url = `${longshore.endpoint}/v2/`;
    const from = (client: string, token: string) =>
      requestFrom(url, '127.0.0.1', { headers: { authorization: basicToken(token), 'x-forwarded-for': client } });
    for (let i = 0; i <= LIMIT; i++) await from('203.0.113.7', 'garbage');
    expect((await from('203.0.113.7', 'garbage')).status).toBe(429);
    // Another client behind the same proxy is answered as a plain failure.
    expect((await from('203.0.113.8', 'garbage')).status).toBe(401);
    expect((await blocks.listBlocks()).map((b) => b.source)).toEqual(['203.0.113.7']);
  });
});

describe('without TRUST_PROXY (the default), X-Forwarded-For is not believed', () => {
  let longshore: Longshore;
  let redis: RedisClient;

  beforeAll(async () => {
    longshore = await startLongshore({
      env: { AUTH_FAILURE_LIMIT: String(LIMIT), AUTH_FAILURE_WINDOW_SECONDS: '300' },
    });
    redis = longshore.connectRedis();
  });
  afterAll(async () => {
    await redis?.quit();
    await longshore?.close();
  });

  it('counts the peer address whatever the header claims', async () => {
    const blocks = new AuthFailureLimiter(redis, longshore.keys.authLimits, { maxFailures: LIMIT, windowSeconds: 300 });
    for (let i = 0; i <= LIMIT; i++) {
      await requestFrom(`${longshore.endpoint}/v2/`, '127.0.0.11', {
        headers: { authorization: basicToken('garbage'), 'x-forwarded-for': `198.51.100.${i}` },
      });
    }
    expect((await blocks.listBlocks()).map((b) => b.source)).toEqual(['127.0.0.11']);
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

  it("keeps each key's quota under its own Redis Cluster hash tag", async () => {
    const redis = longshore.connectRedis();
    try {
      expect(await redis.keys(`${longshore.keys.authLimits}:quota:*`)).toEqual([
        `${longshore.keys.authLimits}:quota:{${testAdminKey.accessKeyId}}`,
      ]);
    } finally {
      await redis.quit();
    }
  });
});

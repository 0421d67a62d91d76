import http from 'node:http';
import { CreateRepositoryCommand } from '@aws-sdk/client-ecr';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mapConcurrently, requestThrough, type AgentAnswer } from '../support/agent-requests.js';
import { digestOf } from '../support/layer-data.js';
import { startLongshore, type Longshore } from '../support/longshore-harness.js';
import { redisClientsOf, type RedisClientEntry } from '../support/process-redis-clients.js';
import { readGauge, scrapeMetrics } from '../support/prometheus-text.js';
import type { CompleteAccepted, Envelope, StatusRecord } from '../support/status-client.js';

const UPLOADS = 1_000;
// Longer than the test can run: a poll answered at all was answered by its upload's change,
// never by its wait running out (and the waiter's safety-net sweep is pushed as far).
const WAIT_SECONDS = 3600;
const SETUP_CONCURRENCY = 32;
const ECR_TARGET = 'AmazonEC2ContainerRegistry_V20150921.';

describe(`${UPLOADS} concurrent long polls against one API process`, () => {
  let longshore: Longshore;
  let redis: Redis;
  // Long polls hold one socket each for as long as they wait: enough sockets for all of them.
  const pollAgent = new http.Agent({ keepAlive: true, maxSockets: Infinity });
  // Everything else goes through a small pool, as a CI fleet's other calls would.
  const callAgent = new http.Agent({ keepAlive: true, maxSockets: SETUP_CONCURRENCY });

  beforeAll(async () => {
    // The waiter's safety-net sweep and the longest wait are pushed beyond the test: every poll
    // must be answered by the status-change notification itself.
    longshore = await startLongshore({
      env: { STATUS_POLL_MS: String(WAIT_SECONDS * 1000), MAX_LONG_POLL_SECONDS: String(WAIT_SECONDS) },
    });
    redis = new Redis(longshore.redisUrl);
  });
  afterAll(async () => {
    pollAgent.destroy();
    callAgent.destroy();
    await redis?.quit();
    await longshore?.close();
  });

  const apiClients = () => redisClientsOf(longshore.api.child.pid!, redis, longshore.redisUrl);
  const describeClients = (clients: RedisClientEntry[]) => clients.map((c) => c.name).sort();
  const inflightWaits = async () =>
    readGauge(await scrapeMetrics(longshore.metricsUrl), 'longshore_api_inflight_waits');

  it('holds them all on its one subscriber connection, and answers each as soon as its upload changes', async () => {
    const { endpoint } = longshore;
    const repositoryName = 'polls/fleet';
    await longshore.ecr.send(new CreateRepositoryCommand({ repositoryName }));

    // 1,000 uploads, each with one small (last) part.
    const uploads = await mapConcurrently(
      Array.from({ length: UPLOADS }, (_, i) => i),
      SETUP_CONCURRENCY,
      async (i) => {
        const initiated = await requestThrough<{ uploadId: string }>(callAgent, `${endpoint}/`, {
          method: 'POST',
          headers: { 'content-type': 'application/x-amz-json-1.1', 'x-amz-target': `${ECR_TARGET}InitiateLayerUpload` },
          body: JSON.stringify({ repositoryName }),
        });
        expect(initiated.status).toBe(200);
        const { uploadId } = initiated.body;
        const bytes = Buffer.from(`layer ${i} of the fleet`);
        const part = await requestThrough<Envelope<unknown>>(callAgent, `${endpoint}/v1/uploads/${uploadId}/parts`, {
          method: 'PUT',
          headers: { 'content-type': 'application/octet-stream', 'content-range': `bytes 0-${bytes.length - 1}/*` },
          body: bytes,
        });
        expect(part.status).toBe(200);
        return { uploadId, digest: digestOf(bytes) };
      },
    );

    const before = await apiClients();
    expect(describeClients(before)).toEqual(['longshore-api', 'longshore-api-events', 'longshore-api-queues']);
    const waitsBefore = await inflightWaits();
    expect(waitsBefore).toBe(0);

    // All 1,000 long polls, at once.
    const polls = uploads.map(({ uploadId }) =>
      requestThrough<Envelope<StatusRecord>>(pollAgent, `${endpoint}/v1/uploads/${uploadId}?wait=${WAIT_SECONDS}`),
    );
    let settledPolls = 0;
    for (const poll of polls)
      void poll.then(
        () => (settledPolls += 1),
        () => (settledPolls += 1),
      );

    // Every one of them is pending in the API (bounded polling of the API's own count).
    await expect.poll(inflightWaits, { timeout: 20_000, interval: 50 }).toBe(UPLOADS);
    expect(settledPolls).toBe(0);

    // While they wait: the same Redis connections as before, no more, and the same one pattern
    // subscription (every upload's events channel): waiting costs no subscription of its own.
    const during = await apiClients();
    expect(describeClients(during)).toEqual(describeClients(before));
    expect(during.map((c) => c.id).sort()).toEqual(before.map((c) => c.id).sort());
    const events = (clients: RedisClientEntry[]) => clients.find((c) => c.name === 'longshore-api-events');
    expect(events(before)).toMatchObject({ sub: 0, psub: 1 });
    expect(events(during)).toMatchObject({ sub: 0, psub: 1 });

    // Complete them, half at a time; each poll answers once its upload leaves 'uploading'.
    const complete = (batch: typeof uploads) =>
      mapConcurrently(batch, SETUP_CONCURRENCY, ({ uploadId, digest }) =>
        requestThrough<Envelope<CompleteAccepted>>(callAgent, `${endpoint}/v1/uploads/${uploadId}/complete`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ repositoryName, layerDigests: [digest] }),
        }),
      );
    const expectAnsweredByChange = (answers: AgentAnswer<Envelope<StatusRecord>>[], offset: number) => {
      for (const [i, answer] of answers.entries()) {
        expect(answer.status).toBe(200);
        if (!answer.body.success) throw new Error(JSON.stringify(answer.body.error));
        expect(answer.body.data.uploadId).toBe(uploads[offset + i]!.uploadId);
        expect(['queued', 'finalizing', 'completed']).toContain(answer.body.data.status);
      }
    };
    const half = UPLOADS / 2;

    for (const completion of await complete(uploads.slice(0, half))) expect(completion.status).toBe(202);
    expectAnsweredByChange(await Promise.all(polls.slice(0, half)), 0);
    // The other half's uploads did not change: their polls are all still waiting, on no new
    // connection.
    expect(await inflightWaits()).toBe(UPLOADS - half);
    expect(settledPolls).toBe(half);
    expect((await apiClients()).map((c) => c.id).sort()).toEqual(before.map((c) => c.id).sort());

    for (const completion of await complete(uploads.slice(half))) expect(completion.status).toBe(202);
    expectAnsweredByChange(await Promise.all(polls.slice(half)), half);

    // Afterwards nothing is left waiting, and still the same two connections.
    expect(await inflightWaits()).toBe(0);
    const after = await apiClients();
    expect(after.map((c) => c.id).sort()).toEqual(before.map((c) => c.id).sort());
    expect(events(after)).toMatchObject({ sub: 0, psub: 1 });
    // A generous safety net for a loaded machine: 1,000 uploads are set up first (nothing here is a speed limit).
  }, 300_000);
});

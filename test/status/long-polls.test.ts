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
const WAIT_SECONDS = 30;
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
    // The waiter's safety-net sweep is pushed beyond the test: every poll must be answered by the
    // status-change notification itself.
    longshore = await startLongshore({ env: { STATUS_POLL_MS: '120000' } });
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
    readGauge(await scrapeMetrics(`${longshore.endpoint}/metrics`), 'longshore_api_inflight_waits');

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
    expect(describeClients(before)).toEqual(['longshore-api', 'longshore-api-events']);
    const waitsBefore = await inflightWaits();
    expect(waitsBefore).toBe(0);

    // All 1,000 long polls, at once.
    const pollsStarted = Date.now();
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

    // Complete them all; each poll answers once its upload leaves 'uploading'.
    const completions = await mapConcurrently(uploads, SETUP_CONCURRENCY, async ({ uploadId, digest }, i) => {
      const answer = await requestThrough<Envelope<CompleteAccepted>>(
        callAgent,
        `${endpoint}/v1/uploads/${uploadId}/complete`,
        {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ repositoryName, layerDigests: [digest] }),
        },
      );
      if (i === UPLOADS / 2) {
        // Half-way: still no new connection.
        expect((await apiClients()).map((c) => c.id).sort()).toEqual(before.map((c) => c.id).sort());
      }
      return answer;
    });
    for (const completion of completions) expect(completion.status).toBe(202);

    const answers: AgentAnswer<Envelope<StatusRecord>>[] = await Promise.all(polls);
    for (const [i, answer] of answers.entries()) {
      expect(answer.status).toBe(200);
      if (!answer.body.success) throw new Error(JSON.stringify(answer.body.error));
      expect(answer.body.data.uploadId).toBe(uploads[i]!.uploadId);
      expect(['queued', 'finalizing', 'completed']).toContain(answer.body.data.status);
      // Answered because its status changed, not because its wait ran out.
      expect(answer.answeredAt - pollsStarted).toBeLessThan(WAIT_SECONDS * 1000);
      expect(answer.answeredAt - completions[i]!.answeredAt).toBeLessThan(10_000);
    }

    // Afterwards nothing is left waiting, and still the same two connections.
    expect(await inflightWaits()).toBe(0);
    const after = await apiClients();
    expect(after.map((c) => c.id).sort()).toEqual(before.map((c) => c.id).sort());
    expect(events(after)).toMatchObject({ sub: 0, psub: 1 });
  });
});

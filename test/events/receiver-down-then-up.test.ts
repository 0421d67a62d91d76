import { createHmac } from 'node:crypto';
import { once } from 'node:events';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { BatchDeleteImageCommand, CreateRepositoryCommand, PutImageCommand } from '@aws-sdk/client-ecr';
import { EVENT_QUEUE, eventJobId, type EventJobData } from '@longshore/queue';
import { Queue } from 'bullmq';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { startCallbackReceiver, type CallbackReceiver } from '../support/callback-receiver.js';
import { OCI_MANIFEST, pushImageBlobs } from '../support/image-data.js';
import { startLongshore, type Longshore } from '../support/longshore-harness.js';

const SECRET = 'receiver-down-secret';
/** Refused attempts every delivery has had before the receiver comes up. */
const REFUSED_ATTEMPTS = 3;

/** A port nothing listens on: taken from the OS, then let go, so a connection to it is refused. */
async function closedPort(): Promise<number> {
  const server = http.createServer();
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve, reject) => server.close((err) => (err ? reject(err) : resolve())));
  return port;
}

interface DeliveredEvent {
  id: string;
  time: string;
  detail: { 'repository-name': string; 'image-digest': string; 'action-type': string; 'image-tag': string };
}

/**
 * EVENTS_WEBHOOK_URL names a port nothing listens on: every delivery is refused (ECONNREFUSED)
 * and retried with back-off (EVENTS_RETRY_BASE_MS), until a receiver starts on that port. Then
 * every event arrives, each id once, with the bytes queued when it was published (signed).
 */
describe('a webhook receiver that is not listening, then up', () => {
  let port: number;
  let longshore: Longshore;
  let receiver: CallbackReceiver | undefined;
  let events: Queue<EventJobData>;
  let redis: ReturnType<Longshore['connectRedis']>;

  beforeAll(async () => {
    port = await closedPort();
    longshore = await startLongshore({
      env: {
        EVENTS_WEBHOOK_URL: `http://127.0.0.1:${port}/events`,
        EVENTS_WEBHOOK_SECRET: SECRET,
        EVENTS_RETRY_BASE_MS: '50',
      },
    });
    redis = longshore.connectRedis({ blocking: true });
    events = new Queue<EventJobData>(EVENT_QUEUE, { connection: redis, prefix: longshore.config.queuePrefix });
  });
  afterAll(async () => {
    await events?.close();
    await longshore?.close();
    await receiver?.close();
    redis?.disconnect();
  });

  it('gets every event of both doors later, once per id, same bytes, signed', async () => {
    const repositoryName = 'events/receiver-down';
    await longshore.ecr.send(new CreateRepositoryCommand({ repositoryName }));
    const image = await pushImageBlobs(longshore.ecr, repositoryName);
    for (const imageTag of ['t1', 't2']) {
      await longshore.ecr.send(new PutImageCommand({ repositoryName, imageManifest: image.manifest, imageTag }));
    }
    const put = await longshore.fetch(`/v2/${repositoryName}/manifests/oci`, {
      method: 'PUT',
      headers: { 'Content-Type': OCI_MANIFEST },
      body: image.manifest,
    });
    expect(put.status).toBe(201);
    await longshore.ecr.send(
      new BatchDeleteImageCommand({ repositoryName, imageIds: [{ imageDigest: image.digest }] }),
    );
    const expected = [
      ...['t1', 't2', 'oci'].map((tag) => `PUSH ${image.digest} ${tag}`),
      ...['t1', 't2', 'oci'].map((tag) => `DELETE ${image.digest} ${tag}`),
    ].sort();

    // Down for a while: every delivery refused REFUSED_ATTEMPTS times, none delivered.
    const queued = async () =>
      (await events.getJobs(['waiting', 'delayed', 'active', 'completed', 'failed'])).filter(
        (job) => (JSON.parse(job.data.body) as DeliveredEvent).detail['repository-name'] === repositoryName,
      );
    await vi.waitFor(
      async () => {
        const jobs = await queued();
        expect(jobs).toHaveLength(expected.length);
        for (const job of jobs) expect(job.attemptsMade).toBeGreaterThanOrEqual(REFUSED_ATTEMPTS);
      },
      { timeout: 30_000, interval: 50 },
    );
    const bodies = new Map((await queued()).map((job) => [job.data.eventId, job.data.body]));
    expect(await events.getJobCounts('completed', 'failed')).toEqual({ completed: 0, failed: 0 });

    // Up: a receiver on that port takes everything.
    const upAt = Date.now();
    receiver = await startCallbackReceiver(port);
    const up = receiver;
    const delivered = () => up.receivedOn('/events').filter((r) => r.answered < 300);
    await vi.waitFor(() => expect(new Set(delivered().map((r) => r.headers['x-longshore-event-id'])).size).toBe(6), {
      timeout: 30_000,
    });
    await vi.waitFor(async () => expect(await events.getJobCounts('completed')).toEqual({ completed: 6 }), {
      timeout: 30_000,
    });

    const deliveries = delivered();
    const received = deliveries.map((r) => JSON.parse(r.rawBody.toString('utf8')) as DeliveredEvent);
    // Once per id, no id missing: one delivery per event, each of the events pushed and deleted.
    expect(new Set(received.map((e) => e.id)).size).toBe(deliveries.length);
    expect(
      received.map((e) => `${e.detail['action-type']} ${e.detail['image-digest']} ${e.detail['image-tag']}`).sort(),
    ).toEqual(expected);
    expect(new Set(received.map((e) => e.id))).toEqual(new Set(bodies.keys()));
    for (const [i, delivery] of deliveries.entries()) {
      const event = received[i]!;
      // The bytes queued at publish time, before the receiver was up, under the same id.
      expect(delivery.rawBody.toString('utf8')).toBe(bodies.get(event.id));
      expect(delivery.headers['x-longshore-event-id']).toBe(event.id);
      expect(Date.parse(event.time)).toBeLessThanOrEqual(upAt);
      expect(delivery.headers['content-type']).toBe('application/json');
      const signature = `sha256=${createHmac('sha256', SECRET).update(delivery.rawBody).digest('hex')}`;
      expect(delivery.headers['x-longshore-signature-256']).toBe(signature);
      const job = await events.getJob(eventJobId(event.id, 0));
      expect(job?.attemptsMade).toBeGreaterThanOrEqual(REFUSED_ATTEMPTS);
    }
  });
});

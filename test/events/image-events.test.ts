import { createHmac } from 'node:crypto';
import { BatchDeleteImageCommand, CreateRepositoryCommand, PutImageCommand } from '@aws-sdk/client-ecr';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { OCI_MANIFEST, pushImageBlobs } from '../support/image-data.js';
import { startCallbackReceiver, type CallbackReceiver, type ReceivedCallback } from '../support/callback-receiver.js';
import { startLongshore, type Longshore } from '../support/longshore-harness.js';

const SECRET = 'events-test-secret';
const REGISTRY_ID = '000000000000';

interface ImageActionEvent {
  version: string;
  id: string;
  'detail-type': string;
  source: string;
  account: string;
  time: string;
  region: string;
  resources: string[];
  detail: {
    result: string;
    'repository-name': string;
    'image-digest': string;
    'action-type': string;
    'image-tag': string;
  };
}

const eventOf = (r: ReceivedCallback) => JSON.parse(r.rawBody.toString('utf8')) as ImageActionEvent;

/** The 2xx-answered deliveries to `path` about one repository, as events. */
function accepted(receiver: CallbackReceiver, path: string, repositoryName: string): ImageActionEvent[] {
  return receiver
    .receivedOn(path)
    .filter((r) => r.answered < 300)
    .map(eventOf)
    .filter((e) => e.detail['repository-name'] === repositoryName);
}

const summary = (events: ImageActionEvent[]) =>
  events.map((e) => `${e.detail['action-type']} ${e.detail['image-digest']} ${e.detail['image-tag']}`).sort();

describe('image events (ECR Image Action, EventBridge-shaped) to EVENTS_WEBHOOK_URL', () => {
  let receiver: CallbackReceiver;
  let longshore: Longshore;
  beforeAll(async () => {
    receiver = await startCallbackReceiver();
    longshore = await startLongshore({
      env: {
        EVENTS_WEBHOOK_URL: `${receiver.baseUrl}hook,${receiver.baseUrl}flaky`,
        EVENTS_WEBHOOK_SECRET: SECRET,
        EVENTS_RETRY_BASE_MS: '50',
      },
    });
  });
  afterAll(async () => {
    await longshore?.close();
    await receiver?.close();
  });

  it('delivers a signed PUSH per tag and a DELETE per tag from the ECR door, in ECR event shape', async () => {
    const repositoryName = 'events/ecr';
    await longshore.ecr.send(new CreateRepositoryCommand({ repositoryName }));
    const image = await pushImageBlobs(longshore.ecr, repositoryName);
    await longshore.ecr.send(new PutImageCommand({ repositoryName, imageManifest: image.manifest, imageTag: 'v1' }));
    await longshore.ecr.send(new PutImageCommand({ repositoryName, imageManifest: image.manifest, imageTag: 'v2' }));
    await longshore.ecr.send(
      new BatchDeleteImageCommand({ repositoryName, imageIds: [{ imageDigest: image.digest }] }),
    );

    await vi.waitFor(() => expect(accepted(receiver, '/hook', repositoryName)).toHaveLength(4), { timeout: 20_000 });
    await vi.waitFor(() => expect(accepted(receiver, '/flaky', repositoryName)).toHaveLength(4), { timeout: 20_000 });
    const events = accepted(receiver, '/hook', repositoryName);
    expect(summary(events)).toEqual(
      [
        `PUSH ${image.digest} v1`,
        `PUSH ${image.digest} v2`,
        `DELETE ${image.digest} v1`,
        `DELETE ${image.digest} v2`,
      ].sort(),
    );
    for (const event of events) {
      expect(event).toMatchObject({
        version: '0',
        'detail-type': 'ECR Image Action',
        source: 'aws.ecr',
        account: REGISTRY_ID,
        region: longshore.config.region,
        resources: [`arn:aws:ecr:${longshore.config.region}:${REGISTRY_ID}:repository/${repositoryName}`],
        detail: { result: 'SUCCESS', 'repository-name': repositoryName },
      });
      expect(event.time).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
      expect(event.id).toMatch(/^[0-9a-f-]{36}$/);
    }
    for (const delivery of receiver
      .receivedOn('/hook')
      .filter((r) => eventOf(r).detail['repository-name'] === repositoryName)) {
      expect(delivery.method).toBe('POST');
      expect(delivery.headers['content-type']).toBe('application/json');
      const expected = `sha256=${createHmac('sha256', SECRET).update(delivery.rawBody).digest('hex')}`;
      expect(delivery.headers['x-longshore-signature-256']).toBe(expected);
    }
  });

  it('delivers PUSH and DELETE events of the /v2 door (manifest PUT by tag, DELETE by digest and by tag)', async () => {
    const repositoryName = 'events/oci';
    await longshore.ecr.send(new CreateRepositoryCommand({ repositoryName }));
    const image = await pushImageBlobs(longshore.ecr, repositoryName);
    const put = (reference: string) =>
      longshore.fetch(`/v2/${repositoryName}/manifests/${reference}`, {
        method: 'PUT',
        headers: { 'Content-Type': OCI_MANIFEST },
        body: image.manifest,
      });
    expect((await put('latest')).status).toBe(201);
    expect((await put('stable')).status).toBe(201);
    // An unchanged re-push changes nothing and publishes nothing.
    expect((await put('latest')).status).toBe(201);
    const untag = await longshore.fetch(`/v2/${repositoryName}/manifests/stable`, { method: 'DELETE' });
    expect(untag.status).toBe(202);
    const deleted = await longshore.fetch(`/v2/${repositoryName}/manifests/${image.digest}`, { method: 'DELETE' });
    expect(deleted.status).toBe(202);

    await vi.waitFor(() => expect(accepted(receiver, '/hook', repositoryName)).toHaveLength(4), { timeout: 20_000 });
    await vi.waitFor(() => expect(accepted(receiver, '/flaky', repositoryName)).toHaveLength(4), { timeout: 20_000 });
    expect(summary(accepted(receiver, '/hook', repositoryName))).toEqual(
      [
        `PUSH ${image.digest} latest`,
        `PUSH ${image.digest} stable`,
        `DELETE ${image.digest} stable`,
        `DELETE ${image.digest} latest`,
      ].sort(),
    );
  });

  it('retries a receiver that is down with back-off, the same id and body each time, until it takes each event once', async () => {
    const repositoryName = 'events/retried';
    // The earlier tests' deliveries to /flaky are all in (they waited for them): from here it is down a while.
    const before = receiver.receivedOn('/flaky').length;
    receiver.answer('/flaky', [...Array<number>(before).fill(200), 503, 503, 503, 503, 200]);
    await longshore.ecr.send(new CreateRepositoryCommand({ repositoryName }));
    const image = await pushImageBlobs(longshore.ecr, repositoryName);
    await longshore.ecr.send(new PutImageCommand({ repositoryName, imageManifest: image.manifest, imageTag: 'r1' }));
    await longshore.ecr.send(new PutImageCommand({ repositoryName, imageManifest: image.manifest, imageTag: 'r2' }));

    await vi.waitFor(() => expect(accepted(receiver, '/flaky', repositoryName)).toHaveLength(2), { timeout: 30_000 });
    const all = receiver.receivedOn('/flaky').filter((r) => eventOf(r).detail['repository-name'] === repositoryName);
    const refused = all.filter((r) => r.answered >= 300);
    expect(refused.length).toBeGreaterThan(0);
    const takenIds = accepted(receiver, '/flaky', repositoryName).map((e) => e.id);
    expect(new Set(takenIds).size).toBe(2);
    // Every refused attempt was a retry of one of the events taken later: same id, same bytes.
    for (const attempt of refused) {
      const id = eventOf(attempt).id;
      expect(takenIds).toContain(id);
      const taken = all.find((r) => r.answered < 300 && eventOf(r).id === id)!;
      expect(attempt.rawBody.equals(taken.rawBody)).toBe(true);
    }
    // The other receiver got the same events (same ids) at once.
    await vi.waitFor(() => expect(accepted(receiver, '/hook', repositoryName)).toHaveLength(2), 20_000);
    expect(
      accepted(receiver, '/hook', repositoryName)
        .map((e) => e.id)
        .sort(),
    ).toEqual([...takenIds].sort());
  });
});

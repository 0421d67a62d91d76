import {
  BatchCheckLayerAvailabilityCommand,
  CreateRepositoryCommand,
  GetDownloadUrlForLayerCommand,
  LayerAlreadyExistsException,
} from '@aws-sdk/client-ecr';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pushLayer, randomLayer } from '../support/layer-data.js';
import { startLongshore, type Longshore } from '../support/longshore-harness.js';

const PART_SIZE = 64 * 1024;
const CLIENTS = 20;

describe('concurrent pushes of the same layer to one repository', () => {
  let longshore: Longshore;
  beforeAll(async () => {
    // Two workers, so finalizations of the same layer also race across processes.
    longshore = await startLongshore({ env: { MIN_PART_SIZE: String(PART_SIZE) }, workers: 2 });
  });
  afterAll(() => longshore?.close());

  it(`${CLIENTS} clients: each succeeds or hears LayerAlreadyExistsException, and one blob remains`, async () => {
    const { ecr } = longshore;
    const repositoryName = 'race/same-layer';
    await ecr.send(new CreateRepositoryCommand({ repositoryName }));
    const layer = randomLayer(3 * PART_SIZE + 1000); // four parts, the last one small

    const outcomes = await Promise.allSettled(
      Array.from({ length: CLIENTS }, () => pushLayer(ecr, repositoryName, layer, PART_SIZE)),
    );

    const unexpected = outcomes.flatMap((o) =>
      o.status === 'rejected' && !(o.reason instanceof LayerAlreadyExistsException) ? [o.reason as unknown] : [],
    );
    expect(unexpected, 'every failure is LayerAlreadyExistsException (no 5xx, nothing else)').toEqual([]);
    const succeeded = outcomes.flatMap((o) => (o.status === 'fulfilled' ? [o.value] : []));
    expect(succeeded.length).toBeGreaterThanOrEqual(1);
    for (const s of succeeded) expect(s.layerDigest).toBe(layer.digest);
    for (const o of outcomes) {
      if (o.status === 'rejected') expect((o.reason as LayerAlreadyExistsException).$metadata.httpStatusCode).toBe(400);
    }

    expect(await longshore.storage.storedBlobDigests()).toEqual([layer.digest]);
    expect(await longshore.storage.storedUploads(), 'no upload leaves its bytes behind').toEqual([]);

    const availability = await ecr.send(
      new BatchCheckLayerAvailabilityCommand({ repositoryName, layerDigests: [layer.digest] }),
    );
    expect(availability.layers).toEqual([
      { layerDigest: layer.digest, layerAvailability: 'AVAILABLE', layerSize: layer.bytes.length },
    ]);
    const { downloadUrl } = await ecr.send(
      new GetDownloadUrlForLayerCommand({ repositoryName, layerDigest: layer.digest }),
    );
    const downloaded = Buffer.from(await (await fetch(downloadUrl!)).arrayBuffer());
    expect(downloaded.equals(layer.bytes)).toBe(true);
  });

  it('pushes that complete after the layer exists are told so and leave nothing behind', async () => {
    const { ecr } = longshore;
    const repositoryName = 'race/late-pushes';
    await ecr.send(new CreateRepositoryCommand({ repositoryName }));
    const layer = randomLayer(2 * PART_SIZE + 10);
    await pushLayer(ecr, repositoryName, layer, PART_SIZE);

    const outcomes = await Promise.allSettled(
      Array.from({ length: 5 }, () => pushLayer(ecr, repositoryName, layer, PART_SIZE)),
    );
    for (const o of outcomes) {
      expect(o.status).toBe('rejected');
      expect((o as PromiseRejectedResult).reason).toBeInstanceOf(LayerAlreadyExistsException);
    }
    expect(await longshore.storage.storedUploads(), 'no upload leaves its bytes behind').toEqual([]);
  });
});

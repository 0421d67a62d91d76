import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { randomLayer } from '../support/layer-data.js';
import { startLongshore, type Longshore } from '../support/longshore-harness.js';
import { pushBlob } from '../support/oci-push.js';

const CHUNK_SIZE = 64 * 1024;
const CLIENTS = 20;

// test/ecr/concurrent-pushes.test.ts through the OCI door: the same races, the same one upload
// core and finalize queue. On this wire a blob the repository already holds is success (201).
describe('/v2: concurrent pushes of the same blob to one repository', () => {
  let longshore: Longshore;
  beforeAll(async () => {
    // Two workers, so finalizations of the same blob also race across processes.
    longshore = await startLongshore({ workers: 2 });
  });
  afterAll(() => longshore?.close());

  it(`${CLIENTS} clients all hear 201 with the digest, and one blob remains`, async () => {
    const name = 'race/same-blob';
    const layer = randomLayer(3 * CHUNK_SIZE + 1000); // four chunks, the last one small

    const answers = await Promise.all(
      Array.from({ length: CLIENTS }, () => pushBlob(longshore, name, layer.bytes, CHUNK_SIZE, layer.digest)),
    );
    const bodies = await Promise.all(answers.map((a) => a.text()));
    expect(
      answers.map((a, i) => `${a.status} ${bodies[i]}`),
      'every push succeeds (no 5xx, no error)',
    ).toEqual(Array(CLIENTS).fill('201 '));
    for (const answer of answers) {
      expect(answer.headers.get('docker-content-digest')).toBe(layer.digest);
      expect(answer.headers.get('location')).toBe(`/v2/${name}/blobs/${layer.digest}`);
    }

    expect(await longshore.storage.storedBlobDigests()).toEqual([layer.digest]);
    expect(await longshore.storage.storedUploads(), 'no upload leaves its bytes behind').toEqual([]);

    const pulled = await longshore.fetch(`/v2/${name}/blobs/${layer.digest}`);
    expect(pulled.status).toBe(200);
    expect(Buffer.from(await pulled.arrayBuffer()).equals(layer.bytes)).toBe(true);
  });

  it('pushes that complete after the blob exists succeed and leave nothing behind', async () => {
    const name = 'race/late-pushes';
    const layer = randomLayer(2 * CHUNK_SIZE + 10);
    expect((await pushBlob(longshore, name, layer.bytes, CHUNK_SIZE, layer.digest)).status).toBe(201);

    const answers = await Promise.all(
      Array.from({ length: 5 }, () => pushBlob(longshore, name, layer.bytes, CHUNK_SIZE, layer.digest)),
    );
    expect(answers.map((a) => a.status)).toEqual([201, 201, 201, 201, 201]);
    expect(await longshore.storage.storedUploads(), 'no upload leaves its bytes behind').toEqual([]);
  });
});

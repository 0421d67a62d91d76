import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { digestOf } from '../support/layer-data.js';
import { type Longshore, startLongshore } from '../support/longshore-harness.js';
import { pushBlob } from '../support/oci-push.js';

// A /v2 POST on a single Redis reads the repository in its upload record's script; on a Redis
// Cluster the repositories hash is in another slot, so it reads the repository first, as before.
// Filesystem storage (planned sessions) is where the single-Redis way would be taken.
describe('/v2 blob pushes on a Redis Cluster with filesystem storage', () => {
  let longshore: Longshore;

  beforeAll(async () => {
    longshore = await startLongshore({ env: { REDIS_URL: inject('redisClusterUrl') } });
  });
  afterAll(() => longshore?.close());

  it('pushes into a repository created on push, then into the existing one, and serves the blobs', async () => {
    const name = `cluster-v2/${randomBytes(4).toString('hex')}`;
    for (const bytes of [randomBytes(70_000), randomBytes(1_000)]) {
      const digest = digestOf(bytes);
      const answer = await pushBlob(longshore, name, bytes, bytes.length, digest);
      expect(answer.status).toBe(201);
      const read = await longshore.fetch(`/v2/${name}/blobs/${digest}`);
      expect(read.status).toBe(200);
      expect(Buffer.from(await read.arrayBuffer()).equals(bytes)).toBe(true);
    }
    expect(longshore.backend).toBe('filesystem');
    const repositories = await longshore.fetch('/v2/_catalog');
    expect(((await repositories.json()) as { repositories: string[] }).repositories).toContain(name);
  });
});

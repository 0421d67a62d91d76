import { GetDownloadUrlForLayerCommand } from '@aws-sdk/client-ecr';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { digestOf } from '../support/layer-data.js';
import { startLongshore, type Longshore } from '../support/longshore-harness.js';

// The /v2 door's part policy allows an empty layer (OCI's empty blob, e.g. an empty config `{}`
// is not empty, but `application/vnd.oci.empty.v1+json` tooling and some builders push 0 bytes).
describe('an empty blob pushed over /v2 goes through the finalize queue', () => {
  let longshore: Longshore;
  const repositoryName = 'policy/empty';
  const empty = digestOf(Buffer.alloc(0));

  beforeAll(async () => {
    longshore = await startLongshore();
  });
  afterAll(async () => {
    await longshore?.close();
  });

  it('monolithic POST ?digest= with no body answers 201 and the blob downloads as 0 bytes', async () => {
    const pushed = await longshore.fetch(`/v2/${repositoryName}/blobs/uploads/?digest=${empty}`, {
      method: 'POST',
      headers: { 'Content-Length': '0', 'Content-Type': 'application/octet-stream' },
    });
    expect(pushed.status).toBe(201);
    expect(pushed.headers.get('docker-content-digest')).toBe(empty);

    const head = await longshore.fetch(`/v2/${repositoryName}/blobs/${empty}`, { method: 'HEAD' });
    expect(head.status).toBe(200);
    expect(head.headers.get('content-length')).toBe('0');

    const { downloadUrl } = await longshore.ecr.send(
      new GetDownloadUrlForLayerCommand({ repositoryName, layerDigest: empty }),
    );
    const response = await fetch(downloadUrl!);
    expect(response.status).toBe(200);
    expect((await response.arrayBuffer()).byteLength).toBe(0);
  });

  it('POST then PUT ?digest= with no chunk at all completes into the empty blob', async () => {
    const started = await longshore.fetch(`/v2/${repositoryName}-2/blobs/uploads/`, { method: 'POST' });
    expect(started.status).toBe(202);
    const location = started.headers.get('location')!;
    const separator = location.includes('?') ? '&' : '?';
    const completed = await longshore.fetch(`${location}${separator}digest=${empty}`, {
      method: 'PUT',
      headers: { 'Content-Length': '0' },
    });
    expect(completed.status).toBe(201);
    const get = await longshore.fetch(`/v2/${repositoryName}-2/blobs/${empty}`);
    expect(get.status).toBe(200);
    expect((await get.arrayBuffer()).byteLength).toBe(0);
  });
});

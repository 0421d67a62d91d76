import { CreateRepositoryCommand, InitiateLayerUploadCommand } from '@aws-sdk/client-ecr';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { digestOf, pushLayer, randomLayer } from '../support/layer-data.js';
import { startLongshore, type Longshore } from '../support/longshore-harness.js';
import { rawRequest } from '../support/raw-http.js';

const repositoryName = 'strict/parsing';

/** Issue 15 item 9: lenient parsing, tightened on every door. */
describe('strict parsing of ranges, hosts and body sizes', () => {
  let longshore: Longshore;

  beforeAll(async () => {
    longshore = await startLongshore();
    await longshore.ecr.send(new CreateRepositoryCommand({ repositoryName }));
  });
  afterAll(() => longshore?.close());

  const errorOf = async (answer: Response) => (await answer.json()) as Record<string, unknown>;

  it('/v1 refuses a Content-Range whose range ends beyond its total length', async () => {
    const { uploadId } = await longshore.ecr.send(new InitiateLayerUploadCommand({ repositoryName }));
    const part = await longshore.fetch(`/v1/uploads/${uploadId}/parts`, {
      method: 'PUT',
      headers: { 'content-type': 'application/octet-stream', 'content-range': 'bytes 0-9/5' },
      body: Buffer.alloc(10, 1),
    });
    expect(part.status).toBe(400);
    expect(await errorOf(part)).toMatchObject({
      success: false,
      error: { code: 'VALIDATION_ERROR', field: 'Content-Range' },
    });
    // The same part with a total that holds it is taken.
    const good = await longshore.fetch(`/v1/uploads/${uploadId}/parts`, {
      method: 'PUT',
      headers: { 'content-type': 'application/octet-stream', 'content-range': 'bytes 0-9/10' },
      body: Buffer.alloc(10, 1),
    });
    expect(good.status).toBe(200);
  });

  it('/v2 PATCH refuses the Range request syntax (bytes=0-9) as a Content-Range', async () => {
    const started = await longshore.fetch(`/v2/${repositoryName}/blobs/uploads/`, { method: 'POST' });
    expect(started.status).toBe(202);
    const location = started.headers.get('location')!;
    for (const contentRange of ['bytes=0-9', 'bytes 0-9/5']) {
      const patched = await longshore.fetch(location, {
        method: 'PATCH',
        headers: { 'content-type': 'application/octet-stream', 'content-range': contentRange },
        body: Buffer.alloc(10, 2),
      });
      expect(patched.status, contentRange).toBe(400);
      expect(await errorOf(patched)).toMatchObject({ errors: [{ code: 'SIZE_INVALID' }] });
    }
    const patched = await longshore.fetch(location, {
      method: 'PATCH',
      headers: { 'content-type': 'application/octet-stream', 'content-range': '0-9' },
      body: Buffer.alloc(10, 2),
    });
    expect(patched.status).toBe(202);
  });

  it('a blob GET ignores a Range of another unit than bytes (200, the whole blob)', async () => {
    const layer = randomLayer(4096);
    await pushLayer(longshore.ecr, repositoryName, layer);
    const answer = await longshore.fetch(`/v2/${repositoryName}/blobs/${layer.digest}`, {
      headers: { range: 'items=0-1' },
    });
    expect(answer.status).toBe(200);
    const bytes = Buffer.from(await answer.arrayBuffer());
    expect(digestOf(bytes)).toBe(layer.digest);
    const ranged = await longshore.fetch(`/v2/${repositoryName}/blobs/${layer.digest}`, {
      headers: { range: 'bytes=0-1' },
    });
    expect(ranged.status).toBe(206);
    expect(Buffer.from(await ranged.arrayBuffer())).toEqual(layer.bytes.subarray(0, 2));
  });

  it('a malformed Host on /v2 is UNSUPPORTED, not an invalid blob upload', async () => {
    const answer = await rawRequest(`${longshore.endpoint}/v2/`, { headers: { host: '[::1' } });
    expect(answer.status).toBe(400);
    const body = JSON.parse(answer.text) as { errors: { code: string; message: string }[] };
    expect(body.errors[0]?.code).toBe('UNSUPPORTED');
    expect(body.errors[0]?.message).toContain('[::1');
  });

  it('a /v1 JSON body over 1 MiB is answered as too large, not as invalid JSON', async () => {
    const { uploadId } = await longshore.ecr.send(new InitiateLayerUploadCommand({ repositoryName }));
    const body = JSON.stringify({
      repositoryName,
      layerDigests: [`sha256:${'a'.repeat(64)}`],
      padding: 'x'.repeat(1024 * 1024 + 1),
    });
    const answer = await longshore.fetch(`/v1/uploads/${uploadId}/complete`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body,
    });
    expect(answer.status).toBe(413);
    const error = (await errorOf(answer)).error as { code: string; message: string };
    expect(error.code).toBe('LIMIT_EXCEEDED');
    expect(error.message).toMatch(/larger than/);
    expect(error.message).not.toMatch(/JSON/);
  });
});

import { randomBytes } from 'node:crypto';
import { CreateRepositoryCommand, GetDownloadUrlForLayerCommand } from '@aws-sdk/client-ecr';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { digestOf, pushLayer, randomLayer } from '../support/layer-data.js';
import { startLongshore, type Longshore } from '../support/longshore-harness.js';
import { testAdminKey } from '../support/request-signing.js';

// Request bodies, layer bytes, credentials, login tokens and download-URL signatures are never
// logged: every line the API and the worker write at LOG_LEVEL=trace is scanned for each of them
// after a run that handled all of them (e2e project only: it reads the processes' own output).
describe('what the logs never contain', () => {
  let longshore: Longshore;
  beforeAll(async () => {
    longshore = await startLongshore({ captureOutput: true, env: { LOG_LEVEL: 'trace' } });
  });
  afterAll(() => longshore?.close());

  it('no secret, token, signature or body appears in any log line, even at trace level', async () => {
    const repositoryName = 'logs/secrets';
    const { ecr } = longshore;
    await ecr.send(new CreateRepositoryCommand({ repositoryName }));
    // A layer whose bytes carry a marker a log line could only contain by logging a body.
    const marker = `BODY-MARKER-${randomBytes(8).toString('hex')}`;
    const layer = randomLayer(32 * 1024);
    const bytes = Buffer.concat([Buffer.from(marker), layer.bytes]);
    await pushLayer(ecr, repositoryName, { bytes, digest: digestOf(bytes) });
    const { downloadUrl } = await ecr.send(
      new GetDownloadUrlForLayerCommand({ repositoryName, layerDigest: digestOf(bytes) }),
    );
    const signature = new URL(downloadUrl!).searchParams.get('signature')!;
    expect((await longshore.fetch(downloadUrl!)).status).toBe(200);
    // A raw /v1 part (Bearer login token) and a /v2 request (Basic with the token).
    const token = await longshore.loginToken();
    const { uploadId } = (await longshore
      .fetch(`/v2/${repositoryName}/blobs/uploads/`, { method: 'POST' })
      .then((r) => ({ uploadId: r.headers.get('docker-upload-uuid')! }))) as { uploadId: string };
    const patched = await longshore.fetch(`/v2/${repositoryName}/blobs/uploads/${uploadId}`, {
      method: 'PATCH',
      headers: { 'content-type': 'application/octet-stream' },
      body: Buffer.from(marker),
    });
    expect(patched.status).toBe(202);
    // A failed authentication is logged (with the claimed key id), but not what it sent.
    const wrongSecret = `wrong-${randomBytes(8).toString('hex')}`;
    const refused = await longshore.fetch(`/v2/${repositoryName}/tags/list`, {
      headers: { authorization: `Basic ${Buffer.from(`AWS:${wrongSecret}`).toString('base64')}` },
    });
    expect(refused.status).toBe(401);

    // Stopped gracefully and their output read to its end: a request's log line may be written
    // after its answer reached this test, so the lines are only complete once the streams end.
    const processes = [longshore.api, ...longshore.workers];
    await Promise.all(processes.map((p) => p.stop()));
    await Promise.all(processes.map((p) => p.outputClosed));
    const lines = processes.flatMap((p) => p.output);
    // Each request that carried one of them was logged: the scan below looks where they would be.
    const logged = (text: string) => lines.some((line) => line.includes(text));
    for (const seen of [
      'UploadLayerPart',
      'GetDownloadUrlForLayer',
      '"path":"/downloads/',
      'GetAuthorizationToken',
      `/v2/${repositoryName}/blobs/uploads/${uploadId}`,
      '"reason":"InvalidSignatureException"',
    ]) {
      expect(logged(seen), `a log line with ${seen}`).toBe(true);
    }
    const secrets = {
      'the admin secret access key': testAdminKey.secretAccessKey,
      'a login token': token,
      'a download-URL signature': signature,
      'a request body': marker,
      'an ECR part body (its base64)': bytes.subarray(0, 48).toString('base64'),
      'a refused credential': wrongSecret,
    };
    for (const [what, secret] of Object.entries(secrets)) {
      const leaking = lines.filter((line) => line.includes(secret));
      expect(leaking, `${what} in the logs`).toEqual([]);
    }
  });
});

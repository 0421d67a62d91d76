import { CreateRepositoryCommand, GetDownloadUrlForLayerCommand } from '@aws-sdk/client-ecr';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DownloadUrlSigner } from '../../apps/api/src/downloads/download-url-signer.js';
import { pushLayer, randomLayer } from '../support/layer-data.js';
import { startLongshore, type Longshore } from '../support/longshore-harness.js';

const SECRET = 'download-url-expiry-test-secret';

// A correctly signed URL whose time is up: signed here with the service's own secret and signer,
// with a past expiry (no waiting for one to run out). The same signer, with a future expiry,
// downloads: so the refusal is for the expiry alone, not for a bad signature.
describe('a download URL past its expiry', () => {
  let longshore: Longshore;
  const repositoryName = 'downloads/expiry';
  const layer = randomLayer(40 * 1024);
  beforeAll(async () => {
    longshore = await startLongshore({ env: { URL_SIGNING_SECRET: SECRET, DOWNLOAD_URL_TTL_SECONDS: '60' } });
    await longshore.ecr.send(new CreateRepositoryCommand({ repositoryName }));
    await pushLayer(longshore.ecr, repositoryName, layer);
  });
  afterAll(() => longshore?.close());

  const signed = (ttlSeconds: number, signedAt: number) =>
    new DownloadUrlSigner(SECRET, ttlSeconds).sign(
      longshore.endpoint,
      { repositoryName, layerDigest: layer.digest },
      signedAt,
    );

  it('the service signs its URLs as this signer does (the fixture is faithful)', async () => {
    const { downloadUrl } = await longshore.ecr.send(
      new GetDownloadUrlForLayerCommand({ repositoryName, layerDigest: layer.digest }),
    );
    const issued = new URL(downloadUrl!);
    const expires = Number(issued.searchParams.get('expires'));
    expect(signed(60, (expires - 60) * 1000)).toBe(issued.toString());
  });

  it('downloads while it is valid', async () => {
    const answer = await longshore.fetch(signed(60, Date.now()));
    expect(answer.status).toBe(200);
    expect(Buffer.from(await answer.arrayBuffer()).equals(layer.bytes)).toBe(true);
  });

  it('is refused once expired, with URL_EXPIRED and no byte of the layer', async () => {
    const answer = await longshore.fetch(signed(60, Date.now() - 3600_000));
    expect(answer.status).toBe(403);
    const body = (await answer.json()) as { success: boolean; error: { code: string } };
    expect(body).toMatchObject({ success: false, error: { code: 'URL_EXPIRED' } });
  });
});

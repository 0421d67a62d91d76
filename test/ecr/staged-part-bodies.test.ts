import path from 'node:path';
import {
  CompleteLayerUploadCommand,
  CreateRepositoryCommand,
  InitiateLayerUploadCommand,
  UploadLayerPartCommand,
} from '@aws-sdk/client-ecr';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { downloadedDigest } from '../support/download-layer.js';
import { MiB, pushLayer, randomLayer } from '../support/layer-data.js';
import { startLongshore, type Longshore } from '../support/longshore-harness.js';
import { signRequest, testAdminKey } from '../support/request-signing.js';
import { entriesIn } from '../support/stored-files.js';

const TARGET = 'AmazonEC2ContainerRegistry_V20150921.UploadLayerPart';

/**
 * UploadLayerPart's base64 is decoded into reused memory (two shared slots) and, with the
 * filesystem driver, written to a staged file as the body arrives; the claimed part adopts that
 * file. These tests hold the door to what the bytes in memory say: more clients at once than
 * slots, a part signed over other bytes, and nothing left staged afterwards.
 */
describe('ECR part bodies decoded into reused memory and staged as they arrive', () => {
  let longshore: Longshore;
  const repositoryName = 'staged/parts';
  const stagingDir = () => path.join(longshore.dataDir, 'storage', 'staging');

  beforeAll(async () => {
    longshore = await startLongshore({ env: { MIN_PART_SIZE: '1' } });
    await longshore.ecr.send(new CreateRepositoryCommand({ repositoryName }));
  });
  afterAll(() => longshore?.close());
  /** The digest of the stored bytes as served (completion does not re-read parts hashed as they were written). */
  const served = (digest: string) =>
    downloadedDigest(longshore.ecr, (url) => longshore.fetch(url), repositoryName, digest);

  it('completes every layer with its digest when more clients push at once than there are slots', async () => {
    // Parts of 1 MiB + 1 (padded base64, over the inline-hash bound): four clients, five parts each.
    const layers = Array.from({ length: 4 }, () => randomLayer(5 * (MiB + 1)));
    const pushed = await Promise.all(layers.map((layer) => pushLayer(longshore.ecr, repositoryName, layer, MiB + 1)));
    expect(pushed.map((p) => p.layerDigest)).toEqual(layers.map((l) => l.digest));
    for (const layer of layers) expect(await served(layer.digest)).toBe(layer.digest);
    // A second round reuses the slots the first one gave back.
    const again = randomLayer(3 * MiB);
    expect((await pushLayer(longshore.ecr, repositoryName, again, MiB)).layerDigest).toBe(again.digest);
    expect(await served(again.digest)).toBe(again.digest);
    expect(await entriesIn(stagingDir())).toEqual([]);
  });

  it('refuses a part whose body is not the one signed, stores none of it, and takes the right one after', async () => {
    const { uploadId } = await longshore.ecr.send(new InitiateLayerUploadCommand({ repositoryName }));
    const layer = randomLayer(2 * MiB);
    const body = (blob: string) =>
      JSON.stringify({
        repositoryName,
        uploadId,
        partFirstByte: 0,
        partLastByte: layer.bytes.length - 1,
        layerPartBlob: blob,
      });
    const sent = layer.bytes.toString('base64');
    const url = new URL(`${longshore.endpoint}/`);
    const signed = await signRequest(
      url,
      {
        method: 'POST',
        headers: { 'content-type': 'application/x-amz-json-1.1', 'x-amz-target': TARGET },
        body: body(sent),
      },
      testAdminKey,
    );
    // The same length, one character of the part changed.
    const tampered = body(`${sent[0] === 'A' ? 'B' : 'A'}${sent.slice(1)}`);
    const refused = await fetch(url, { ...signed, body: tampered });
    expect(refused.status).toBe(403);
    expect(refused.headers.get('x-amzn-errortype')).toBe('InvalidSignatureException');
    expect(await entriesIn(stagingDir())).toEqual([]);
    // Nothing of the refused part was kept: the same range is taken as the first part.
    const answer = await longshore.ecr.send(
      new UploadLayerPartCommand({
        repositoryName,
        uploadId,
        partFirstByte: 0,
        partLastByte: layer.bytes.length - 1,
        layerPartBlob: layer.bytes,
      }),
    );
    expect(answer.lastByteReceived).toBe(layer.bytes.length - 1);
    const completed = await longshore.ecr.send(
      new CompleteLayerUploadCommand({ repositoryName, uploadId, layerDigests: [layer.digest] }),
    );
    expect(completed.layerDigest).toBe(layer.digest);
    expect(await served(layer.digest)).toBe(layer.digest);
    expect(await entriesIn(stagingDir())).toEqual([]);
  });
});

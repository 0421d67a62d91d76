import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import {
  BatchDeleteImageCommand,
  CreateRepositoryCommand,
  DeleteRepositoryCommand,
  PutImageCommand,
  RepositoryAlreadyExistsException,
} from '@aws-sdk/client-ecr';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { OCI_MANIFEST, imageManifest, pushImageBlobs } from '../support/image-data.js';
import { digestOf, randomLayer, uploadParts } from '../support/layer-data.js';
import { startLongshore, type Longshore } from '../support/longshore-harness.js';
import { rejectionOf } from '../support/rejection.js';
import { testAdminKey } from '../support/request-signing.js';
import { completeUpload, waitForFinalStatus } from '../support/status-client.js';

interface AuditLine {
  time: string;
  audit: true;
  action: string;
  door: string;
  keyId: string;
  source: string;
  repository?: string;
  digest?: string;
  tag?: string;
  result: string;
}

/**
 * AUDIT_LOG: one JSON line per mutating action, through each door, with who (key id, address),
 * what (repository, digest, tag) and the result; reads write nothing, and no line holds a secret.
 */
describe('the audit trail (AUDIT_LOG)', () => {
  let longshore: Longshore;
  let dir: string;
  let file: string;
  beforeAll(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'longshore-audit-'));
    file = path.join(dir, 'audit', 'audit.jsonl');
    longshore = await startLongshore({ env: { AUDIT_LOG: file } });
  });
  afterAll(async () => {
    await longshore?.close();
    await rm(dir, { recursive: true, force: true });
  });

  async function lines(): Promise<AuditLine[]> {
    const text = await readFile(file, 'utf8').catch(() => '');
    return text
      .split('\n')
      .filter(Boolean)
      .map((l) => JSON.parse(l) as AuditLine);
  }

  /** The lines written while `act` ran (the API writes each before it answers). */
  async function linesOf(act: () => Promise<unknown>): Promise<AuditLine[]> {
    const before = (await lines()).length;
    await act();
    return (await lines()).slice(before);
  }

  const who = { keyId: testAdminKey.accessKeyId, source: expect.stringMatching(/127\.0\.0\.1/) };

  it('records ECR mutations (the SDK): repository, layer, image, delete by tag, and a refused create', async () => {
    const repositoryName = 'audit/ecr';
    expect(await linesOf(() => longshore.ecr.send(new CreateRepositoryCommand({ repositoryName })))).toEqual([
      {
        time: expect.any(String),
        audit: true,
        action: 'CreateRepository',
        door: 'ecr',
        ...who,
        repository: repositoryName,
        result: 'ok',
      },
    ]);
    const refused = await linesOf(() =>
      rejectionOf(
        longshore.ecr.send(new CreateRepositoryCommand({ repositoryName })),
        RepositoryAlreadyExistsException,
      ),
    );
    expect(refused).toMatchObject([{ action: 'CreateRepository', result: 'RepositoryAlreadyExistsException' }]);

    let image!: Awaited<ReturnType<typeof pushImageBlobs>>;
    const layerLines = await linesOf(async () => {
      image = await pushImageBlobs(longshore.ecr, repositoryName, { layerSizes: [1024] });
    });
    expect(layerLines).toEqual(
      [image.config, ...image.layers].map((blob) => ({
        time: expect.any(String),
        audit: true,
        action: 'CompleteLayerUpload',
        door: 'ecr',
        ...who,
        repository: repositoryName,
        digest: blob.digest,
        result: 'ok',
      })),
    );

    const put = await linesOf(() =>
      longshore.ecr.send(
        new PutImageCommand({
          repositoryName,
          imageManifest: image.manifest,
          imageTag: 'v1',
          imageManifestMediaType: OCI_MANIFEST,
        }),
      ),
    );
    expect(put).toMatchObject([
      {
        action: 'PutImage',
        door: 'ecr',
        ...who,
        repository: repositoryName,
        digest: image.digest,
        tag: 'v1',
        result: 'ok',
      },
    ]);

    const deleted = await linesOf(() =>
      longshore.ecr.send(
        new BatchDeleteImageCommand({ repositoryName, imageIds: [{ imageTag: 'v1' }, { imageTag: 'nope' }] }),
      ),
    );
    expect(deleted).toHaveLength(2);
    expect(deleted).toContainEqual(
      expect.objectContaining({ action: 'BatchDeleteImage', tag: 'v1', result: 'ok', ...who }),
    );
    expect(deleted).toContainEqual(
      expect.objectContaining({ action: 'BatchDeleteImage', tag: 'nope', result: 'ImageNotFound' }),
    );

    expect(
      await linesOf(() => longshore.ecr.send(new DeleteRepositoryCommand({ repositoryName, force: true }))),
    ).toMatchObject([{ action: 'DeleteRepository', door: 'ecr', ...who, repository: repositoryName, result: 'ok' }]);
  });

  it('records /v2 pushes and deletes (blob, manifest by tag, delete by digest)', async () => {
    const name = 'audit/v2';
    await longshore.ecr.send(new CreateRepositoryCommand({ repositoryName: name }));
    const config = randomLayer(300);
    const layer = randomLayer(700);
    const blobLines = await linesOf(async () => {
      for (const blob of [config, layer]) {
        const answer = await longshore.fetch(`/v2/${name}/blobs/uploads/?digest=${blob.digest}`, {
          method: 'POST',
          headers: { 'content-type': 'application/octet-stream' },
          body: blob.bytes,
        });
        expect(answer.status).toBe(201);
      }
    });
    expect(blobLines).toEqual(
      [config, layer].map((blob) => ({
        time: expect.any(String),
        audit: true,
        action: 'v2.StartUpload',
        door: 'v2',
        ...who,
        repository: name,
        digest: blob.digest,
        result: 'ok',
      })),
    );
    const manifest = imageManifest(config, [layer]);
    const digest = digestOf(Buffer.from(manifest));
    const put = await linesOf(async () => {
      const answer = await longshore.fetch(`/v2/${name}/manifests/latest`, {
        method: 'PUT',
        headers: { 'content-type': OCI_MANIFEST },
        body: manifest,
      });
      expect(answer.status).toBe(201);
    });
    expect(put).toMatchObject([
      { action: 'v2.PutManifest', door: 'v2', ...who, repository: name, digest, tag: 'latest', result: 'ok' },
    ]);
    const removed = await linesOf(async () => {
      expect((await longshore.fetch(`/v2/${name}/manifests/${digest}`, { method: 'DELETE' })).status).toBe(202);
      expect((await longshore.fetch(`/v2/${name}/manifests/${digest}`, { method: 'DELETE' })).status).toBe(404);
    });
    expect(removed).toMatchObject([
      { action: 'v2.DeleteManifest', door: 'v2', ...who, repository: name, digest, result: 'ok' },
      { action: 'v2.DeleteManifest', door: 'v2', ...who, repository: name, digest, result: 'ImageNotFoundException' },
    ]);
  });

  it('records a /v1 completion; reads write nothing; no line holds a secret or token', async () => {
    const repositoryName = 'audit/v1';
    await longshore.ecr.send(new CreateRepositoryCommand({ repositoryName }));
    const layer = randomLayer(2048);
    const uploadId = await uploadParts(longshore.ecr, repositoryName, layer.bytes, 5 * 1024 * 1024);
    const completed = await linesOf(async () => {
      await completeUpload(longshore.endpoint, uploadId, { repositoryName, layerDigests: [layer.digest] });
    });
    expect(completed).toMatchObject([
      {
        action: 'v1.CompleteUpload',
        door: 'v1',
        ...who,
        repository: repositoryName,
        digest: layer.digest,
        result: 'ok',
      },
    ]);
    await waitForFinalStatus(longshore.endpoint, uploadId);

    const reads = await linesOf(async () => {
      expect((await longshore.fetch(`/v2/${repositoryName}/tags/list`)).status).toBe(200);
      expect((await longshore.fetch(`/v1/uploads/${uploadId}`)).status).toBe(200);
    });
    expect(reads).toEqual([]);

    const text = await readFile(file, 'utf8');
    expect(text).not.toContain(testAdminKey.secretAccessKey);
    expect(text).not.toContain(await longshore.loginToken());
    for (const line of await lines()) {
      expect(Object.keys(line).sort()).toEqual(
        expect.arrayContaining(['action', 'audit', 'door', 'keyId', 'result', 'source', 'time']),
      );
      expect(new Date(line.time).toISOString()).toBe(line.time);
    }
  });
});

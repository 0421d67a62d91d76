import { CreateRepositoryCommand, InitiateLayerUploadCommand } from '@aws-sdk/client-ecr';
import { it } from 'vitest';
import { startLongshore } from '../support/longshore-harness.js';
import { callJson, completeUpload } from '../support/status-client.js';
it('scratch', async () => {
  const l = await startLongshore();
  try {
    await l.ecr.send(new CreateRepositoryCommand({ repositoryName: 'a/b' }));
    const { uploadId } = await l.ecr.send(new InitiateLayerUploadCommand({ repositoryName: 'a/b' }));
    const d = 'sha256:' + 'a'.repeat(64);
    for (const body of [{ repositoryName: 'Bad_Name!', layerDigests: [d] }, { repositoryName: 'x', layerDigests: [d] }, { layerDigests: [d] }, { repositoryName: 42, layerDigests: [d] },
      { repositoryName: 'a/b', layerDigests: [] }, { repositoryName: 'a/b' }, { repositoryName: 'a/b', layerDigests: 'sha256:abc' }, { repositoryName: 'a/b', layerDigests: ['nope'] }, [], 'str', null]) {
      console.log(JSON.stringify(body), JSON.stringify((await completeUpload(l.endpoint, uploadId!, body as never)).body));
    }
    for (const w of ['soon', '-1', '100000', 'Infinity', '', '0x10', '1e1', ' 1']) console.log(w, JSON.stringify((await callJson(l.endpoint, 'GET', `/v1/uploads/${uploadId}?wait=${w}`)).body).slice(0, 200));
  } finally { await l.close(); }
});

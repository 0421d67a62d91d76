import { randomBytes } from 'node:crypto';
import { CreateRepositoryCommand, InitiateLayerUploadCommand } from '@aws-sdk/client-ecr';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { controllableBody, streamedBody } from '../support/controllable-body.js';
import { startLongshore, type Longshore } from '../support/longshore-harness.js';

describe('a part body that stops sending', () => {
  let longshore: Longshore;
  const repositoryName = 'timeouts/idle';

  beforeAll(async () => {
    longshore = await startLongshore({ env: { MIN_PART_SIZE: String(64 * 1024), PART_IDLE_TIMEOUT_MS: '300' } });
    await longshore.ecr.send(new CreateRepositoryCommand({ repositoryName }));
  });
  afterAll(async () => {
    await longshore?.close();
  });

  it('is answered with a retryable REQUEST_TIMEOUT, and the retry is accepted', async () => {
    const uploadId = (await longshore.ecr.send(new InitiateLayerUploadCommand({ repositoryName }))).uploadId!;
    const path = `/v1/uploads/${uploadId}/parts`;
    const part = randomBytes(100_000);
    const headers = { 'content-type': 'application/octet-stream', 'content-range': `bytes 0-${part.length - 1}/*` };

    const stalled = controllableBody();
    stalled.push(part.subarray(0, 1000));
    // The body never ends: the answer comes from the idle timeout alone.
    const answer = await longshore.fetch(path, streamedBody(stalled, headers));
    expect(answer.status).toBe(408);
    expect(answer.headers.get('connection')).toBe('close');
    expect(((await answer.json()) as { error: { code: string } }).error.code).toBe('REQUEST_TIMEOUT');

    const retry = await longshore.fetch(path, { method: 'PUT', headers, body: part });
    expect(retry.status).toBe(200);
    expect(((await retry.json()) as { data: { lastByteReceived: number } }).data.lastByteReceived).toBe(
      part.length - 1,
    );
  });
});

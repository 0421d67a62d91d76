import { CreateRepositoryCommand, GetDownloadUrlForLayerCommand } from '@aws-sdk/client-ecr';
import fc from 'fast-check';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { downloadRequests, type SignedLayer } from '../support/fuzz/download-requests.js';
import { ecrRequests } from '../support/fuzz/ecr-requests.js';
import { wireErrorChecks, type Door, type FuzzAnswer, type FuzzRequest } from '../support/fuzz/fuzz-request.js';
import { v1Requests } from '../support/fuzz/v1-requests.js';
import { v2Requests } from '../support/fuzz/v2-requests.js';
import { pushLayer, randomLayer } from '../support/layer-data.js';
import { startLongshore, type Longshore } from '../support/longshore-harness.js';
import { rawRequest } from '../support/raw-http.js';

/**
 * Property: every generated request, wrong by construction, is answered with a 4xx in its door's
 * error form; never a 5xx, never a crash. Requests go out in concurrent batches, so the service
 * also sees them interleaved; fast-check shrinks a failing batch to the requests that matter.
 */
const REQUESTS = 10_000;
const BATCH = 50;

let longshore: Longshore;
let layer: SignedLayer;

beforeAll(async () => {
  longshore = await startLongshore();
  const repositoryName = 'fuzz/target';
  await longshore.ecr.send(new CreateRepositoryCommand({ repositoryName }));
  const pushed = randomLayer(4096);
  await pushLayer(longshore.ecr, repositoryName, pushed);
  const { downloadUrl } = await longshore.ecr.send(
    new GetDownloadUrlForLayerCommand({ repositoryName, layerDigest: pushed.digest }),
  );
  const url = new URL(downloadUrl!);
  layer = { path: `${url.pathname}${url.search}`, size: pushed.bytes.length };
});
afterAll(async () => {
  await longshore?.close();
});

/** Every door's generator; each door's error form is in `wireErrorChecks`. */
function doorGenerators(): Record<Door, fc.Arbitrary<FuzzRequest>> {
  return { ecr: ecrRequests, v1: v1Requests, downloads: downloadRequests(layer), v2: v2Requests };
}

async function send(request: FuzzRequest): Promise<FuzzAnswer> {
  const hasBody = request.body !== undefined && request.method !== 'GET' && request.method !== 'HEAD';
  if (request.host !== undefined) {
    const answer = await rawRequest(`${longshore.endpoint}${request.path}`, {
      method: request.method,
      headers: { ...request.headers, host: request.host },
      ...(hasBody ? { body: request.body } : {}),
    });
    return { status: answer.status, headers: flatten(answer.headers), text: answer.text };
  }
  const answer = await longshore.fetch(request.path, {
    method: request.method,
    headers: request.headers,
    ...(hasBody ? { body: request.body } : {}),
  });
  return { status: answer.status, headers: Object.fromEntries(answer.headers), text: await answer.text() };
}

function flatten(headers: Record<string, string | string[] | undefined>): Record<string, string | undefined> {
  return Object.fromEntries(Object.entries(headers).map(([k, v]) => [k, Array.isArray(v) ? v.join(', ') : v]));
}

it(`answers ${REQUESTS} malformed requests across the doors with 4xx in each wire's error form`, async () => {
  const apiPid = longshore.api.child.pid;
  const workerPid = longshore.workers[0]!.child.pid;
  const generators = Object.values(doorGenerators());
  const sent: Record<string, number> = {};

  await fc.assert(
    fc.asyncProperty(fc.array(fc.oneof(...generators), { minLength: BATCH, maxLength: BATCH }), async (batch) => {
      const answers = await Promise.all(batch.map(send));
      const wrong = batch.flatMap((request, i) => {
        sent[request.door] = (sent[request.door] ?? 0) + 1;
        const problem = wireErrorChecks[request.door](answers[i]!, request);
        return problem === undefined
          ? []
          : [`${problem}: ${JSON.stringify(request)} → ${answers[i]!.status} ${answers[i]!.text.slice(0, 200)}`];
      });
      if (wrong.length > 0) throw new Error(wrong.join('\n'));
    }),
    { numRuns: REQUESTS / BATCH, endOnFailure: true },
  );

  const total = Object.values(sent).reduce((a, b) => a + b, 0);
  console.log(`fuzz: ${total} requests (${JSON.stringify(sent)})`);
  expect(total).toBeGreaterThanOrEqual(REQUESTS);
  // No crash, no restart: the same processes still serve.
  expect(longshore.api.child.exitCode).toBeNull();
  expect(longshore.api.child.pid).toBe(apiPid);
  expect(longshore.workers[0]!.child.exitCode).toBeNull();
  expect(longshore.workers[0]!.child.pid).toBe(workerPid);
  expect((await longshore.fetch('/healthz')).status).toBe(200);
}, 180_000);

/**
 * `npm run trace`: which of Longshore's own files one ECR push runs, measured with V8 precise
 * coverage. Starts a private Redis, the built worker and API (authentication on) with
 * `coverage-hook.js` imported, pushes a warm-up layer, resets the counters, then pushes one
 * layer with the AWS SDK (InitiateLayerUpload, the parts, CompleteLayerUpload waiting for the
 * worker) and reads its status (GET /v1/uploads/<id>). Prints the files whose functions ran,
 * grouped as in `trace-groups.ts`, with the totals.
 */
import { createHash, randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import {
  CompleteLayerUploadCommand,
  CreateRepositoryCommand,
  ECRClient,
  GetAuthorizationTokenCommand,
  InitiateLayerUploadCommand,
  UploadLayerPartCommand,
} from '@aws-sdk/client-ecr';
import { startLocalService } from '../local-service.js';
import type { CoverageReply } from './coverage-messages.js';
import { formatTrace, type TracedFile } from './format-trace.js';
import { groupOf, sourceOf } from './trace-groups.js';

const usage = `Usage: npm run trace -- [--layer-mib <n>] [--part-mib <n>] [--markdown]

Pushes one layer (default 12 MiB in parts of 5 MiB) through the ECR API of a private Longshore
(filesystem storage, one Redis, one worker, authentication on) and lists the product files
whose functions ran in the API and the worker: the push's own path, per-request plumbing and
timers (bench/src/trace/trace-groups.ts). --markdown prints the table docs/architecture.md carries.`;

const ADMIN = { accessKeyId: 'AKIATRACEPUSH0000001', secretAccessKey: 'trace-push-secret-access-key-000000000001' };
const REPOSITORY = 'trace/push';
const MiB = 1024 * 1024;
const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');

async function main(): Promise<number> {
  const { values } = parseArgs({
    options: {
      'layer-mib': { type: 'string', default: '12' },
      'part-mib': { type: 'string', default: '5' },
      markdown: { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  if (values.help) {
    console.log(usage);
    return 0;
  }
  const layerBytes = Number(values['layer-mib']) * MiB;
  const partBytes = Number(values['part-mib']) * MiB;
  if (!(layerBytes > 0) || !(partBytes > 0)) {
    console.error(usage);
    return 2;
  }

  const hook = pathToFileURL(path.join(path.dirname(fileURLToPath(import.meta.url)), 'coverage-hook.js'));
  const service = await startLocalService({
    baseEnv: process.env,
    env: {
      AUTH: 'sigv4',
      // One API process, so that the one coverage reply the trace waits for covers every request.
      API_PROCESSES: '1',
      ADMIN_ACCESS_KEY_ID: ADMIN.accessKeyId,
      ADMIN_SECRET_ACCESS_KEY: ADMIN.secretAccessKey,
      NODE_OPTIONS: `${process.env.NODE_OPTIONS ?? ''} --import=${hook.href}`.trim(),
    },
    dataRoot: tmpdir(),
    workers: 1,
  });
  try {
    const endpoint = service.endpoint.href.replace(/\/$/, '');
    const ecr = new ECRClient({ endpoint, region: 'us-east-1', credentials: ADMIN });
    await ecr.send(new CreateRepositoryCommand({ repositoryName: REPOSITORY }));
    const token = await loginToken(ecr);
    const push = () => pushLayer(ecr, endpoint, token, layerBytes, partBytes);

    await push(); // warm-up: first-call paths (script loading, connections) do not count
    await takeCoverage(service.processes); // resets the counters
    await push();
    const taken = await takeCoverage(service.processes);
    console.log(
      formatTrace(tracedFiles(taken), {
        markdown: values.markdown,
        layerBytes,
        parts: Math.ceil(layerBytes / partBytes),
      }),
    );
    return 0;
  } finally {
    await service.stop();
  }
}

async function loginToken(ecr: ECRClient): Promise<string> {
  const answer = await ecr.send(new GetAuthorizationTokenCommand({}));
  const decoded = Buffer.from(answer.authorizationData?.[0]?.authorizationToken ?? '', 'base64').toString('utf8');
  if (!decoded.startsWith('AWS:')) throw new Error('GetAuthorizationToken returned no AWS:<token>');
  return decoded.slice('AWS:'.length);
}

/** One layer of fresh random bytes, pushed as docker pushes to ECR, then its status read. */
async function pushLayer(ecr: ECRClient, endpoint: string, token: string, size: number, partSize: number) {
  const layer = randomBytes(size);
  const digest = `sha256:${createHash('sha256').update(layer).digest('hex')}`;
  const { uploadId } = await ecr.send(new InitiateLayerUploadCommand({ repositoryName: REPOSITORY }));
  for (let first = 0; first < size; first += partSize) {
    const last = Math.min(first + partSize, size) - 1;
    await ecr.send(
      new UploadLayerPartCommand({
        repositoryName: REPOSITORY,
        uploadId,
        partFirstByte: first,
        partLastByte: last,
        layerPartBlob: layer.subarray(first, last + 1),
      }),
    );
  }
  const done = await ecr.send(
    new CompleteLayerUploadCommand({ repositoryName: REPOSITORY, uploadId, layerDigests: [digest] }),
  );
  if (done.layerDigest !== digest) throw new Error(`CompleteLayerUpload answered ${done.layerDigest}`);
  const status = await fetch(`${endpoint}/v1/uploads/${uploadId}`, { headers: { authorization: `Bearer ${token}` } });
  const body = (await status.json()) as { data?: { status?: string } };
  if (body.data?.status !== 'completed') throw new Error(`GET /v1/uploads/${uploadId}: ${JSON.stringify(body)}`);
}

/** Asks every traced process for the functions that ran since the last take. */
async function takeCoverage(processes: Record<string, import('node:child_process').ChildProcess>) {
  return Promise.all(
    Object.entries(processes).map(async ([name, child]) => {
      const reply = waitForReply(child);
      child.send({ type: 'trace-coverage-take' });
      return { name, ran: (await reply).ran };
    }),
  );
}

async function waitForReply(child: import('node:child_process').ChildProcess): Promise<CoverageReply> {
  for (;;) {
    const [message] = (await once(child, 'message')) as [CoverageReply | { type?: string }];
    if (message.type === 'trace-coverage') return message as CoverageReply;
  }
}

function tracedFiles(taken: { name: string; ran: CoverageReply['ran'] }[]): TracedFile[] {
  const files = new Map<string, TracedFile>();
  for (const { name, ran } of taken) {
    for (const fn of ran) {
      const source = sourceOf(path.relative(repoRoot, fileURLToPath(fn.url)).split(path.sep).join('/'));
      if (!source) continue;
      const file = files.get(source) ?? { file: source, group: groupOf(source), processes: [], functions: 0 };
      if (!file.processes.includes(name)) file.processes.push(name);
      file.functions += 1;
      files.set(source, file);
    }
  }
  return [...files.values()];
}

main().then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    console.error('trace failed:', error instanceof Error ? error.message : error);
    process.exitCode = 1;
  },
);

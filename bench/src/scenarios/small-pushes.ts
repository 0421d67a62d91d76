import { createHash, randomFillSync, type Hash } from 'node:crypto';
import { setTimeout as delay } from 'node:timers/promises';
import { type EcrClient, EcrError, partBodyHash } from '../ecr-client.js';
import { type OciClient, OciError } from '../oci-client.js';
import type { CpuWindow } from '../process-stats.js';
import type { BenchSizes } from '../bench-options.js';
import {
  cpuPerPushFigure,
  type PeerContext,
  type PeerWorkload,
  type RunResult,
  type ScenarioDefinition,
} from '../scenario.js';
import { percentile } from '../stats.js';

/** Bytes at the end of each push's part that carry its counter (and so make its content unique). */
const UNIQUE_TAIL = 16;
const MAX_PUSHES_PER_CLIENT = 1_000_000;
/** A service that fails every request is not measured further. */
const MAX_ERRORS = 1_000;
const MAX_ERROR_KINDS = 20;
const REQUEST_IDLE_TIMEOUT_MS = 60_000;

/** A small-push load's length: its warm-up and its measured window. */
export function smallPushLoadMs(sizes: BenchSizes): number {
  return (sizes.smallPushWarmupSeconds + sizes.smallPushSeconds) * 1000;
}

/**
 * Issue 17's targets with a peer: over /v2 ≥ 1.3× distribution's pushes/s, p99 ≤ its p99, CPU
 * per push ≤ 0.8× its; over the ECR door (three calls, base64) ≥ 1.0× distribution's /v2 pushes/s.
 */
function smallPushFigures(door: 'ecr' | 'v2'): ScenarioDefinition['figures'] {
  return [
    {
      name: 'pushesPerSecond',
      label: 'pushes/s',
      unit: 'pushes/s',
      target: { min: 1000 },
      peerTargets: [{ minTimesPeer: door === 'v2' ? 1.3 : 1.0 }],
    },
    { name: 'p50Ms', label: 'push latency p50', unit: 'ms' },
    {
      name: 'p99Ms',
      label: 'push latency p99',
      unit: 'ms',
      target: { max: 150 },
      peerTargets: door === 'v2' ? [{ maxTimesPeer: 1 }] : [],
    },
    { name: 'errors', label: 'failed pushes', unit: 'count', target: { max: 0 } },
    { ...cpuPerPushFigure, ...(door === 'v2' ? { peerTargets: [{ maxTimesPeer: 0.8 }] } : {}) },
  ];
}

const timeoutMs = (sizes: BenchSizes) => smallPushLoadMs(sizes) + 120_000;

/** The OCI way (distribution, Longshore's /v2): POST a session, then PUT ?digest= with the whole blob. */
export const ociPush: PushOnce = async ({ oci, repositoryName }, content, request) => {
  const t0 = performance.now();
  const location = await oci.startUpload(repositoryName, request);
  const t1 = performance.now();
  const part = content.next();
  await oci.finishUpload(location, part.digest, part.bytes, request);
  return [t1 - t0, performance.now() - t1];
};
export const ociSteps = ['post', 'put'];

/** The ECR way: InitiateLayerUpload, one UploadLayerPart (base64), CompleteLayerUpload (waits for the worker). */
export const ecrPush: PushOnce = async ({ ecr, repositoryName }, content, request) => {
  if (!ecr) throw new TypeError('an ECR push needs an ECR client (measureSmallPushes was given none)');
  const t0 = performance.now();
  const uploadId = await ecr.initiate(repositoryName, request);
  const t1 = performance.now();
  const part = content.next();
  await ecr.uploadPart(repositoryName, uploadId, 0, content.size - 1, part.base64, request, part.blobHash);
  const t2 = performance.now();
  await ecr.complete(repositoryName, uploadId, part.digest, { ...request, retry: false });
  return [t1 - t0, t2 - t1, performance.now() - t2];
};
export const ecrSteps = ['initiate', 'part', 'complete'];

/** The same pushes against the reference registry. */
export const smallOciPushesPeer: PeerWorkload = {
  summary: 'the same clients and sizes, each push POST /v2/<name>/blobs/uploads/ + a monolithic PUT ?digest=',
  run: (ctx) => measureSmallPushes(ctx, ociSteps, ociPush),
};

export const smallPushes: ScenarioDefinition = {
  name: 'small-pushes',
  summary:
    'concurrent clients for a fixed time, each push: InitiateLayerUpload + one small UploadLayerPart + ' +
    'CompleteLayerUpload (which waits for the worker); throughput, whole-push latency, errors',
  serviceEnv: { VERIFY_MODE: 'parts' },
  figures: smallPushFigures('ecr'),
  timeoutMs,
  run: (ctx) => measureSmallPushes(ctx, ecrSteps, ecrPush, ctx.ecr),
  peer: smallOciPushesPeer,
};

export const smallPushesV2: ScenarioDefinition = {
  name: 'small-pushes-v2',
  summary:
    'the small pushes through Longshore’s OCI door: POST /v2/<name>/blobs/uploads/ + a monolithic PUT ?digest= ' +
    '(answered when the worker has finalized); n/a while the target answers 404 on /v2/',
  serviceEnv: { VERIFY_MODE: 'parts' },
  figures: smallPushFigures('v2'),
  timeoutMs,
  async run(ctx) {
    await ctx.oci.probe({ signal: ctx.signal });
    return measureSmallPushes(ctx, ociSteps, ociPush);
  },
  peer: smallOciPushesPeer,
};

type Request = { idleTimeoutMs: number; signal: AbortSignal };
/** One client's connections (its own, see openClients) and the repository it pushes to. */
export interface PushClient {
  oci: OciClient;
  /** Only for pushes over the ECR door (the peer has none). */
  ecr?: EcrClient;
  repositoryName: string;
}
/** One whole push; returns the duration of each of its steps. */
export type PushOnce = (client: PushClient, content: PushContent, request: Request) => Promise<number[]>;

interface Tally {
  windowStart: number;
  windowEnd: number;
  completed: number;
  completedInWindow: number;
  /** Whole pushes started in the window, and their steps. */
  latencies: number[];
  steps: number[][];
  errors: number;
  errorKinds: Map<string, number>;
}

/**
 * `sizes.smallPushClients` clients pushing for `sizes.smallPushSeconds` after a warm-up: pushes/s,
 * whole-push latency p50/p99, failed pushes, and the server's CPU per push over the window.
 */
export async function measureSmallPushes(
  ctx: PeerContext,
  stepNames: string[],
  push: PushOnce,
  ecr?: EcrClient,
): Promise<RunResult> {
  const { sizes } = ctx;
  if (sizes.smallPushBytes < 2 * UNIQUE_TAIL)
    throw new RangeError(`smallPushBytes must be at least ${2 * UNIQUE_TAIL}`);
  const connections = await openClients(ctx, sizes.smallPushClients, ecr);
  try {
    return await measureOnClients(ctx, stepNames, push, connections);
  } finally {
    closeClients(connections);
  }
}

/**
 * Each client gets connections of its own, as separate CI jobs have: a service with several
 * processes then sees `count` connections spread over them, not requests that hop between the
 * most recently freed sockets of one shared pool (which left one of two API processes at 8 % of
 * a core and the other at 36 %). Each is opened by a first request before the next is made; the
 * launcher hands each new connection to the API process with the fewest open ones
 * (packages/telemetry connection-balancer.ts). The peer gets the same clients.
 */
async function openClients(ctx: PeerContext, count: number, ecr: EcrClient | undefined): Promise<PushClient[]> {
  const clients: PushClient[] = [];
  try {
    for (let i = 0; i < count; i += 1) {
      const client: PushClient = {
        oci: ctx.oci.ownClient(),
        ecr: ecr?.ownClient(),
        repositoryName: ctx.repositoryName,
      };
      clients.push(client);
      if (client.ecr) await client.ecr.authorizationToken({ signal: ctx.signal });
      else await client.oci.probe({ signal: ctx.signal });
    }
    return clients;
  } catch (error) {
    closeClients(clients);
    throw error;
  }
}

function closeClients(clients: readonly PushClient[]): void {
  for (const { oci, ecr } of clients) {
    oci.close();
    ecr?.close();
  }
}

async function measureOnClients(
  ctx: PeerContext,
  stepNames: string[],
  push: PushOnce,
  connections: PushClient[],
): Promise<RunResult> {
  const { sizes } = ctx;
  const clients = connections.map(() => new PushContent(sizes.smallPushBytes));
  const warmup = sizes.smallPushWarmupSeconds * 1000;
  const windowMs = sizes.smallPushSeconds * 1000;
  const startedAt = performance.now();
  const tally: Tally = {
    windowStart: startedAt + warmup,
    windowEnd: startedAt + warmup + windowMs,
    completed: 0,
    completedInWindow: 0,
    latencies: [],
    steps: stepNames.map(() => []),
    errors: 0,
    errorKinds: new Map(),
  };

  // CPU shares over exactly the measured window.
  const cpuOpened: Promise<CpuWindow> = delay(warmup).then(() => ctx.cpuWindow());
  const cpuShares = delay(warmup + windowMs).then(async () => (await cpuOpened).stop());
  const ticker = setInterval(() => {
    const now = performance.now();
    const phase =
      now < tally.windowStart
        ? 'warm-up'
        : `${((now - tally.windowStart) / 1000).toFixed(0)}/${sizes.smallPushSeconds} s`;
    ctx.progress(`small pushes: ${phase}, ${tally.completed} pushes, ${tally.errors} errors`);
  }, 250);
  try {
    await Promise.all(clients.map((content, i) => clientLoop(ctx, connections[i]!, content, tally, push)));
  } finally {
    clearInterval(ticker);
  }
  ctx.signal.throwIfAborted();
  const cpuUse = await cpuShares;

  const p = (q: number) =>
    Object.fromEntries(stepNames.map((name, i) => [name, round(percentile(tally.steps[i]!, q))]));
  return {
    figures: {
      pushesPerSecond: tally.completedInWindow / sizes.smallPushSeconds,
      p50Ms: percentile(tally.latencies, 50),
      p99Ms: percentile(tally.latencies, 99),
      errors: tally.errors,
      ...(tally.completedInWindow > 0 ? { cpuMsPerPush: cpuUse.serverMs / tally.completedInWindow } : {}),
    },
    detail: {
      clients: clients.length,
      partBytes: sizes.smallPushBytes,
      warmupSeconds: warmup / 1000,
      windowSeconds: sizes.smallPushSeconds,
      pushesCompleted: tally.completed,
      pushesInWindow: tally.completedInWindow,
      stepP50Ms: p(50),
      stepP99Ms: p(99),
      maxMs: round(Math.max(0, ...tally.latencies)),
      errorKinds: Object.fromEntries(tally.errorKinds),
      cpuPercent: cpuUse.percent,
      cpuSystemPercent: cpuUse.systemPercent,
    },
  };
}

async function clientLoop(
  ctx: PeerContext,
  client: PushClient,
  content: PushContent,
  tally: Tally,
  push: PushOnce,
): Promise<void> {
  const { signal } = ctx;
  const request = { idleTimeoutMs: REQUEST_IDLE_TIMEOUT_MS, signal };
  for (let n = 0; n < MAX_PUSHES_PER_CLIENT && performance.now() < tally.windowEnd; n += 1) {
    if (signal.aborted || tally.errors >= MAX_ERRORS) return;
    const t0 = performance.now();
    try {
      const steps = await push(client, content, request);
      const t3 = performance.now();
      tally.completed += 1;
      if (t3 >= tally.windowStart && t3 <= tally.windowEnd) tally.completedInWindow += 1;
      if (t0 >= tally.windowStart) {
        tally.latencies.push(t3 - t0);
        for (const [i, ms] of steps.entries()) tally.steps[i]?.push(ms);
      }
    } catch (error) {
      if (signal.aborted) return;
      tally.errors += 1;
      const kind = errorKind(error);
      const key = tally.errorKinds.has(kind) || tally.errorKinds.size < MAX_ERROR_KINDS ? kind : 'other errors';
      tally.errorKinds.set(key, (tally.errorKinds.get(key) ?? 0) + 1);
    }
  }
}

/**
 * One client's part contents: a random base whose last bytes carry a counter, so every push is
 * distinct, yet only those bytes are hashed and encoded per push — the SHA-256 state and the
 * base64 of the rest are computed once (the rest is a multiple of 3 bytes, so its base64 needs
 * no padding and the two base64 pieces simply follow each other).
 */
export class PushContent {
  private readonly prefixHash: Hash;
  private readonly prefixBase64: Buffer;
  /** The UploadLayerPart body's hash state up to the end of the prefix's base64 (see partBodyHash). */
  private readonly prefixBodyHash: Hash;
  private readonly prefixBytes: Buffer;
  private readonly tail: Buffer;
  private counter = 0n;

  constructor(readonly size: number) {
    const base = randomFillSync(Buffer.allocUnsafe(size));
    const prefixLength = Math.floor((size - UNIQUE_TAIL) / 3) * 3;
    this.prefixHash = createHash('sha256').update(base.subarray(0, prefixLength));
    this.prefixBase64 = Buffer.from(base.subarray(0, prefixLength).toString('base64'), 'latin1');
    this.prefixBodyHash = partBodyHash([this.prefixBase64]);
    this.prefixBytes = base.subarray(0, prefixLength);
    this.tail = Buffer.from(base.subarray(prefixLength));
  }

  /** The next push's content: its digest, as base64 pieces (ECR JSON) and as raw pieces (OCI). */
  next(): { digest: string; base64: Buffer[]; bytes: Buffer[]; blobHash: () => Hash } {
    this.counter += 1n;
    this.tail.writeBigUInt64BE(this.counter, 0);
    const tailBase64 = Buffer.from(this.tail.toString('base64'), 'latin1');
    return {
      digest: `sha256:${this.prefixHash.copy().update(this.tail).digest('hex')}`,
      base64: [this.prefixBase64, tailBase64],
      bytes: [this.prefixBytes, Buffer.from(this.tail)],
      blobHash: () => this.prefixBodyHash.copy().update(tailBase64),
    };
  }
}

function errorKind(error: unknown): string {
  if (error instanceof EcrError || error instanceof OciError)
    return `HTTP ${error.status} ${error.message.slice(0, 160)}`;
  const code = (error as { code?: unknown }).code;
  const message = error instanceof Error ? error.message : String(error);
  return `${typeof code === 'string' ? `${code}: ` : ''}${message.slice(0, 160)}`;
}

function round(value: number): number {
  return Math.round(value * 10) / 10;
}

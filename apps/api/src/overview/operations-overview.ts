import { Queue } from 'bullmq';
import type { Cluster, Redis } from 'ioredis';
import { wordRefusal } from '@longshore/domain';
import {
  type Keys,
  scanKeys,
  WORKER_ALIVE_MS,
  type UploadRecord,
  type UploadStore,
  type WorkerRegistry,
} from '@longshore/metadata';
import {
  FINALIZE_QUEUE,
  MAINTENANCE_QUEUE,
  uploadsOf,
  type FinalizeJobData,
  type FinalizeJobResult,
} from '@longshore/queue';

const QUEUE_STATES = ['waiting', 'active', 'delayed', 'prioritized', 'failed', 'completed'] as const;
/** How many finished finalize jobs are read to count the last minute's. */
const RATE_SAMPLE = 200;
/** How many uploads of each kind the page lists. */
const LISTED_UPLOADS = 50;

export interface UploadRow {
  uploadId: string;
  repositoryName: string;
  status: string;
  bytesReceived: number;
  partsReceived: number;
  createdAt: number;
  updatedAt: number;
  /** Why it failed, in words: the ECR exception and its message. */
  error?: { name: string; message: string };
}

export interface ProcessRow {
  id: string;
  /** Epoch ms of its last heartbeat. */
  lastSeen: number;
  alive: boolean;
}

export interface OperationsSnapshot {
  at: number;
  uploadsInFlight: UploadRow[];
  uploadsFailed: UploadRow[];
  finalizeQueue: Record<(typeof QUEUE_STATES)[number], number>;
  /** Finalize jobs that finished in the last minute (`atLeast` when more than the sample). */
  finalizedLastMinute: { completed: number; failed: number; atLeast: boolean };
  lastGc?: { finishedAt: number; deleted: number; bytes: number; waiting: number; failed?: string };
  workers: ProcessRow[];
  apis: ProcessRow[];
}

export interface OperationsOverviewDeps {
  redis: Redis | Cluster;
  /** The connection BullMQ's queues use (BullMQ defines its scripts on it); `redis` when not given. */
  queueRedis?: Redis | Cluster;
  keys: Keys;
  queuePrefix: string;
  uploads: Pick<UploadStore, 'getMany'>;
  workers: Pick<WorkerRegistry, 'seen'>;
  /** The API processes' own registry (each beats every few seconds while the console is on). */
  apis: Pick<WorkerRegistry, 'seen'>;
}

/**
 * Read-only facts about the service at work, for the console's Operations page: uploads in flight
 * and recently failed (a SCAN of the upload records, which expire on their own), the finalize
 * queue's depth and recent throughput, the last garbage collection, and the processes seen (by their heartbeats).
 * Only read when the page is asked for: nothing here runs on the push path.
 */
export class OperationsOverview {
  private readonly finalize: Queue;
  private readonly maintenance: Queue;

  constructor(private readonly deps: OperationsOverviewDeps) {
    // Readers only: they leave the queues' settings (the finalize queue's short events stream,
    // set by its producer) as they are, instead of writing BullMQ's defaults over them.
    const options = { connection: deps.queueRedis ?? deps.redis, prefix: deps.queuePrefix, skipMetasUpdate: true };
    this.finalize = new Queue(FINALIZE_QUEUE, options);
    this.maintenance = new Queue(MAINTENANCE_QUEUE, options);
    // Connection errors surface on the page's reads; the queues themselves need not report them.
    this.finalize.on('error', () => undefined);
    this.maintenance.on('error', () => undefined);
  }

  async snapshot(now = Date.now()): Promise<OperationsSnapshot> {
    const [uploads, finalizeQueue, finalizedLastMinute, lastGc, workers, apis] = await Promise.all([
      this.uploads(),
      this.finalize.getJobCounts(...QUEUE_STATES),
      this.recentFinalizations(now),
      this.lastGc(),
      this.deps.workers.seen(),
      this.deps.apis.seen(),
    ]);
    const rows = uploads.map(uploadRow);
    return {
      at: now,
      uploadsInFlight: rows
        .filter((u) => u.status !== 'completed' && u.status !== 'failed')
        .sort((a, b) => b.updatedAt - a.updatedAt)
        .slice(0, LISTED_UPLOADS),
      uploadsFailed: rows
        .filter((u) => u.status === 'failed')
        .sort((a, b) => b.updatedAt - a.updatedAt)
        .slice(0, LISTED_UPLOADS),
      finalizeQueue: finalizeQueue as OperationsSnapshot['finalizeQueue'],
      finalizedLastMinute,
      ...(lastGc ? { lastGc } : {}),
      workers: processRows(workers, now),
      apis: processRows(apis, now),
    };
  }

  private async uploads(): Promise<UploadRecord[]> {
    const found: UploadRecord[] = [];
    for await (const batch of scanKeys(this.deps.redis, this.deps.keys.uploadPattern)) {
      const records = await this.deps.uploads.getMany(batch.map((key) => this.deps.keys.uploadIdOf(key)));
      for (const record of records) if (record) found.push(record);
    }
    return found;
  }

  private async recentFinalizations(now: number): Promise<OperationsSnapshot['finalizedLastMinute']> {
    const since = now - 60_000;
    const [completed, failed] = await Promise.all([
      this.finalize.getJobs(['completed'], 0, RATE_SAMPLE - 1),
      this.finalize.getJobs(['failed'], 0, RATE_SAMPLE - 1),
    ]);
    // A job carries a batch of uploads (group commit): count uploads, not jobs. A completed job
    // reports each upload's outcome; a failed one failed every upload it carried.
    const isRecent = (job: { finishedOn?: number | undefined } | undefined) => (job?.finishedOn ?? 0) >= since;
    let c = 0;
    let f = 0;
    for (const job of completed.filter(isRecent)) {
      const results = (job.returnvalue as FinalizeJobResult | undefined)?.uploads ?? [];
      c += results.filter((r) => r.outcome === 'completed').length;
      f += results.filter((r) => r.outcome === 'failed').length;
    }
    for (const job of failed.filter(isRecent)) f += uploadsOf(job.data as FinalizeJobData).length;
    return { completed: c, failed: f, atLeast: completed.length >= RATE_SAMPLE || failed.length >= RATE_SAMPLE };
  }

  private async lastGc(): Promise<OperationsSnapshot['lastGc']> {
    const jobs = await this.maintenance.getJobs(['completed', 'failed'], 0, 49);
    const runs = jobs.filter((job) => job?.name === 'collect-garbage' && job.finishedOn !== undefined);
    runs.sort((a, b) => (b.finishedOn ?? 0) - (a.finishedOn ?? 0));
    const last = runs[0];
    if (!last) return undefined;
    const report = (last.returnvalue ?? {}) as { deleted?: number; bytes?: number; waiting?: number };
    return {
      finishedAt: last.finishedOn!,
      deleted: report.deleted ?? 0,
      bytes: report.bytes ?? 0,
      waiting: report.waiting ?? 0,
      ...(last.failedReason ? { failed: last.failedReason } : {}),
    };
  }

  async close(): Promise<void> {
    await Promise.allSettled([this.finalize.close(), this.maintenance.close()]);
  }
}

function uploadRow(record: UploadRecord): UploadRow {
  return {
    uploadId: record.uploadId,
    repositoryName: record.repositoryName,
    status: record.status,
    bytesReceived: record.bytesReceived,
    partsReceived: record.partsReceived,
    createdAt: record.createdAt,
    updatedAt: record.updatedAt,
    ...(record.error ? { error: failureOf(record, record.error) } : {}),
  };
}

function failureOf(record: UploadRecord, refusal: NonNullable<UploadRecord['error']>): UploadRow['error'] {
  const { uploadId, repositoryName, registryId } = record;
  const { name, message } = wordRefusal(refusal.code, { uploadId, repositoryName, registryId, ...refusal.facts });
  return { name, message };
}

function processRows(seen: { workerId: string; lastHeartbeat: number }[], now: number): ProcessRow[] {
  return seen
    .map((p) => ({ id: p.workerId, lastSeen: p.lastHeartbeat, alive: now - p.lastHeartbeat < WORKER_ALIVE_MS }))
    .sort((a, b) => b.lastSeen - a.lastSeen);
}

import { Cluster } from 'ioredis';
import { createClock, v8HeapFlags } from '@longshore/config';
import { currentBootId } from '@longshore/storage';
import type { ApiContext } from './api-context.js';
import { ImageService } from './images/image-service.js';
import { PullRecorder } from './images/pull-recorder.js';
import { LayerService } from './layers/layer-service.js';
import { LifecycleService } from './lifecycle/lifecycle-service.js';
import { RepositoryService } from './repositories/repository-service.js';
import { createIngestHeapGrowth, type IngestHeapGrowth } from './uploads/ingest-heap-growth.js';
import { UploadService } from './uploads/upload-service.js';

/** The services behind every door: the one upload core and the repository, layer, image and lifecycle rules. */
export interface ApiServices {
  repositories: RepositoryService;
  layers: LayerService;
  images: ImageService;
  uploads: UploadService;
  lifecycle: LifecycleService;
  /** The process's heap growth while large bodies stream in (every door's large-body path). */
  heapGrowth: IngestHeapGrowth;
}

export function buildServices(context: ApiContext): ApiServices {
  const { config, log, stores, storage, metrics } = context;
  const now = createClock(config.clockOffsetFile);
  // main.ts applies v8HeapFlags(config) at start; these are what a large body's stream restores.
  const heapGrowth = createIngestHeapGrowth(v8HeapFlags(config));
  const repositories = new RepositoryService({
    repositories: stores.repositories,
    registryId: config.registryId,
    storageName: storage.name,
  });
  const images = new ImageService({
    repositories,
    repositoryStore: stores.repositories,
    images: stores.images,
    layers: stores.layers,
    blobs: stores.blobs,
    blobReferences: stores.blobReferences,
    registryId: config.registryId,
    createRepositoryOnPush: config.createRepositoryOnPush,
    pulls: new PullRecorder({
      images: stores.images,
      intervalMs: config.pullRecordIntervalSeconds * 1000,
      now,
      written: () => metrics.pullsRecorded.inc(),
      failed: (err) => log.warn({ err }, 'recording a manifest pull failed'),
    }),
  });
  const uploads = new UploadService({
    repositories,
    uploads: stores.uploads,
    storage,
    hashPool: context.hashPool,
    queue: context.queues.finalize,
    batcher: context.batcher,
    verifyQueue: context.queues.verify,
    backgroundVerifyMinBytes: config.backgroundVerifyMinBytes,
    waiter: context.waiter,
    completeWaitMs: config.completeWaitMs,
    maxLayerSize: config.maxLayerSize,
    heapGrowth,
    bootId: currentBootId(),
    flushBatchBytes: config.partFlushBatchBytes,
    // On a Redis Cluster the upload's keys and the queue's are on different nodes: no order between them.
    ...(context.queueRedis instanceof Cluster
      ? {}
      : { jobBehind: { connection: context.queueRedis, slots: context.batcher, queue: context.queues.finalize } }),
    bodyDeadlines: { idleMs: config.partIdleTimeoutMs, maxMs: config.partMaxDurationMs },
    events: {
      started: () => metrics.uploadsStarted.inc(),
      bytesReceived: (bytes) => metrics.receivedBytes.inc(bytes),
      finished: (outcome) =>
        outcome === 'ok' ? metrics.uploadsCompleted.inc() : metrics.uploadsFailed.inc({ error: outcome }),
    },
  });
  const lifecycle = new LifecycleService({
    repositories,
    images: stores.images,
    lifecycle: stores.lifecycle,
    now,
    log,
  });
  return {
    repositories,
    layers: new LayerService({ layers: stores.layers, blobs: stores.blobs }),
    images,
    uploads,
    lifecycle,
    heapGrowth,
  };
}

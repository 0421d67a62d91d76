export {
  FINALIZE_QUEUE,
  FINALIZE_JOB,
  createFinalizeQueue,
  finalizeJobId,
  finalizeJobOptions,
  finalizeRecoveryJobId,
  uploadsOf,
  type FinalizeJobData,
  type FinalizeJobResult,
  type FinalizeJobPolicy,
  type FinalizeQueue,
  type FinalizeUpload,
  type FinalizeUploadResult,
} from './finalize-queue.js';
export {
  FinalizeBatcher,
  createFinalizeBatcher,
  type FinalizeBatchLimits,
  type FinalizeBatcherDeps,
  type LoneSlot,
} from './finalize-batcher.js';
export {
  createRedisConnection,
  isRedisConnectionError,
  redisReady,
  type ConnectionLog,
  type RedisClient,
  type RedisConnectionOptions,
} from './redis-connection.js';
export { CompletionWaiter, type WaitCondition, type WaitOutcome } from './completion-waiter.js';
export {
  CALLBACK_QUEUE,
  CALLBACK_JOB,
  callbackJobId,
  callbackJobOptions,
  type CallbackJobData,
} from './callback-job.js';
export {
  VERIFY_QUEUE,
  VERIFY_JOB,
  verifyPartJobId,
  verifyPartJobOptions,
  type VerifyPartJobData,
} from './finalize-queue.js';
export { createVerifyQueue, type VerifyQueue } from './finalize-queue.js';
export { createCallbackQueue, type CallbackQueue } from './create-callback-queue.js';
export { createEventQueue } from './create-event-queue.js';
export { createMaintenanceQueue, MAINTENANCE_QUEUE, type MaintenanceQueue } from './create-maintenance-queue.js';
export { checkRedisDurability } from './redis-durability.js';
export {
  createReplicaWait,
  ROLE_TTL_MS,
  ReplicasBehindError,
  type ReplicaWait,
  type ReplicaWaitOptions,
  type ReplicaWaitStart,
} from './replica-wait.js';
export {
  EVENT_QUEUE,
  EVENT_JOB,
  MAX_EVENT_BACKOFF_MS,
  eventBackoffMs,
  eventJobId,
  eventJobOptions,
  type EventBridgeEvent,
  type EventJobData,
} from './events/event-job.js';
export {
  createEventPublisher,
  eventEnvelope,
  type EventPublisher,
  type EventPublisherOptions,
  type PublishedEvent,
} from './events/event-publisher.js';
export {
  imageActionEvent,
  repositoryArn,
  type ImageAction,
  type ImageActionType,
} from './events/image-action-event.js';
export { imageEventChanges } from './events/image-event-changes.js';
export { createPublishingStores, type PublishingStores } from './events/publishing-stores.js';
export { checkRedis } from './check-redis.js';
export { IDLE_WAIT_SECONDS, PromptWorker } from './prompt-worker.js';

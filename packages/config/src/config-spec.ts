import os from 'node:os';
import {
  boolean,
  describedAs,
  integer,
  list,
  matching,
  oneOf,
  text,
  trustProxy,
  url,
  type Parser,
} from './env-parsers.js';
import { isRedisClusterUrl, parseRedisClusterUrl, parseRedisNode } from './redis-cluster-url.js';

const MiB = 1024 * 1024;

/**
 * Every setting Longshore reads, with its default and meaning. This table is the single source
 * of docs/configuration.md (`npm run docs` writes it; a test fails when the page differs); nothing
 * else reads the environment.
 */
export interface Setting<T> {
  env: string;
  description: string;
  default?: T | (() => T);
  /** How the reference shows a default computed at start (`default` is a function). */
  defaultText?: string;
  parse: Parser<T>;
}

function setting<T>(s: Setting<T>): Setting<T> {
  return s;
}

export const configSpec = {
  port: setting({ env: 'PORT', description: 'API listen port', default: 5000, parse: integer({ min: 0, max: 65535 }) }),
  host: setting({ env: 'HOST', description: 'API listen address', default: '127.0.0.1', parse: text }),
  publicUrl: setting<string | undefined>({
    env: 'PUBLIC_URL',
    description: 'Base URL clients use to reach the API (download URLs); default: the Host of each request',
    parse: url(['http:', 'https:']),
  }),
  allowedHosts: setting<string[]>({
    env: 'ALLOWED_HOSTS',
    description:
      'Without PUBLIC_URL: comma-separated hosts (`name` for any port, `name:port`, `*` for any) whose Host header may appear in download URLs and repositoryUri; HOST is added unless it is 0.0.0.0 or ::',
    default: ['localhost', '127.0.0.1', '[::1]'],
    parse: list(),
  }),
  dataDir: setting({
    env: 'DATA_DIR',
    description: 'Directory for layer storage (and the embedded Redis)',
    default: './.data',
    parse: text,
  }),
  storage: setting({
    env: 'STORAGE',
    description: 'Where layer bytes live: `filesystem` (under DATA_DIR) or `s3` (an S3-compatible object store)',
    default: 'filesystem' as const,
    parse: oneOf('filesystem', 's3'),
  }),
  s3Endpoint: setting<string | undefined>({
    env: 'S3_ENDPOINT',
    description:
      'S3-compatible endpoint (`http://minio:9000`); unset or empty: AWS S3. Credentials: the standard AWS chain',
    parse: url(['http:', 'https:']),
  }),
  s3Bucket: setting<string | undefined>({
    env: 'S3_BUCKET',
    description: 'Bucket for layers and uploads (required with STORAGE=s3; it must exist)',
    parse: matching(/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/, 'an S3 bucket name'),
  }),
  s3Region: setting({
    env: 'S3_REGION',
    description: 'Region of the bucket (signing region for S3-compatible stores)',
    default: 'us-east-1',
    parse: matching(/^[a-z0-9-]{1,32}$/, 'a region name such as us-east-1'),
  }),
  s3Prefix: setting({
    env: 'S3_PREFIX',
    description: 'Key prefix for everything Longshore stores in the bucket',
    default: '',
    parse: matching(/^[A-Za-z0-9._/-]{0,200}$/, 'letters, digits, . _ - and /'),
  }),
  s3ForcePathStyle: setting({
    env: 'S3_FORCE_PATH_STYLE',
    description: 'Path-style URLs (`endpoint/bucket/key`), as MinIO, Ceph RGW and Swift want',
    default: false,
    parse: boolean,
  }),
  s3MaxAttempts: setting({
    env: 'S3_MAX_ATTEMPTS',
    description:
      'Tries per S3 request, with exponential backoff, for throttling (`SlowDown`, 503) and transient errors; a store still throttling after them is answered as a retryable 503',
    default: 8,
    parse: integer({ min: 1, max: 20 }),
  }),
  s3RedirectDownloads: setting({
    env: 'S3_REDIRECT_DOWNLOADS',
    description:
      'Layer downloads redirect (307) to a presigned URL of the object store instead of streaming through Longshore',
    default: true,
    parse: boolean,
  }),
  redisUrl: setting<string | undefined>({
    env: 'REDIS_URL',
    description:
      'Redis to share with other processes (`redis://`, `rediss://`), or a Redis Cluster (`redis+cluster://host:port,host:port`); unset: `npm start` runs a private redis-server',
    parse: describedAs('URL (`redis:`, `rediss:`, `redis+cluster:`)', (raw) => {
      if (!isRedisClusterUrl(raw)) return url(['redis:', 'rediss:'])(raw);
      parseRedisClusterUrl(raw); // throws the problem, if any
      return raw;
    }),
  }),
  redisClusterNodes: setting<string[]>({
    env: 'REDIS_CLUSTER_NODES',
    description:
      'Comma-separated `host:port` of Redis Cluster nodes (instead of a `redis+cluster://` REDIS_URL); the queue prefix is then hash-tagged (`{longshore}`)',
    default: [],
    parse: describedAs('comma-separated list of `host:port`', (raw) =>
      list()(raw).map((node) => {
        parseRedisNode(node); // throws the problem, if any
        return node;
      }),
    ),
  }),
  redisAppendFsync: setting({
    env: 'REDIS_APPENDFSYNC',
    description:
      'Embedded Redis: `always` fsyncs before acknowledging (an acknowledged completion survives power loss), `everysec` may lose about a second, `no` leaves it to the OS',
    default: 'always' as const,
    parse: oneOf('always', 'everysec', 'no'),
  }),
  redisWaitReplicas: setting({
    env: 'REDIS_WAIT_REPLICAS',
    description:
      'Before a layer completion is acknowledged, its writes must reach this many replicas of each Redis master that has replicas (Redis `WAIT`); a master without replicas is not waited on; 0: never wait',
    default: 1,
    parse: integer({ min: 0, max: 16 }),
  }),
  redisWaitTimeoutMs: setting({
    env: 'REDIS_WAIT_TIMEOUT_MS',
    description:
      'How long a completion waits for REDIS_WAIT_REPLICAS; past it the finalization is retried (FINALIZE_ATTEMPTS) and the completion is not acknowledged meanwhile',
    default: 5000,
    parse: integer({ min: 1 }),
  }),
  registryId: setting({
    env: 'REGISTRY_ID',
    description: 'The 12-digit registry (account) id this service answers for',
    default: '000000000000',
    parse: matching(/^[0-9]{12}$/, 'exactly 12 digits'),
  }),
  region: setting({
    env: 'REGION',
    description: 'Region shown in repository ARNs and URIs',
    default: 'us-east-1',
    parse: matching(/^[a-z0-9-]{1,32}$/, 'a region name such as us-east-1'),
  }),
  logLevel: setting({
    env: 'LOG_LEVEL',
    description: 'pino log level',
    default: 'info' as const,
    parse: oneOf('fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'),
  }),
  logFormat: setting({
    env: 'LOG_FORMAT',
    description: '`json`, `pretty`, or `auto` (pretty on a terminal)',
    default: 'auto' as const,
    parse: oneOf('auto', 'json', 'pretty'),
  }),
  minPartSize: setting({
    env: 'MIN_PART_SIZE',
    description: 'Smallest part (bytes) allowed except the last one',
    default: 5 * MiB,
    parse: integer({ min: 1, max: 20 * MiB }),
  }),
  maxPartSize: setting({
    env: 'MAX_PART_SIZE',
    description: 'Largest part (bytes); the ECR model allows 20 MiB',
    default: 20 * MiB,
    parse: integer({ min: 1, max: 20 * MiB }),
  }),
  maxParts: setting({
    env: 'MAX_PARTS',
    description: 'Most parts per layer',
    default: 4200,
    parse: integer({ min: 1 }),
  }),
  maxLayerSize: setting({
    env: 'MAX_LAYER_SIZE',
    description: 'Largest layer (bytes)',
    default: 52000 * MiB,
    parse: integer({ min: 1 }),
  }),
  maxRequestBytes: setting({
    env: 'MAX_REQUEST_BYTES',
    description: 'Largest JSON request body (a 20 MiB part is ~27 MiB of base64)',
    default: 30 * MiB,
    parse: integer({ min: 1024 }),
  }),
  partLockMs: setting({
    env: 'PART_LOCK_MS',
    description: 'How long a part upload shows as in flight; a retry of the same part takes over at once',
    default: 120_000,
    parse: integer({ min: 100 }),
  }),
  partIdleTimeoutMs: setting({
    env: 'PART_IDLE_TIMEOUT_MS',
    description: 'A streamed part body that sends no bytes this long gets a retryable timeout (408)',
    default: 30_000,
    parse: integer({ min: 100 }),
  }),
  partMaxDurationMs: setting({
    env: 'PART_MAX_DURATION_MS',
    description: 'Longest a streamed part body may take in all (one `/v2` request may carry a whole layer)',
    default: 3_600_000,
    parse: integer({ min: 1000 }),
  }),
  uploadTtlSeconds: setting({
    env: 'UPLOAD_TTL_SECONDS',
    description: 'Unfinished uploads are forgotten (and their bytes purged) after this long idle (default: one day)',
    default: 24 * 3600,
    parse: integer({ min: 60 }),
  }),
  statusRetentionSeconds: setting({
    env: 'STATUS_RETENTION_SECONDS',
    description: "How long a finished upload's status record is kept",
    default: 24 * 3600,
    parse: integer({ min: 1 }),
  }),
  completeWaitMs: setting({
    env: 'COMPLETE_WAIT_MS',
    description: 'How long CompleteLayerUpload waits for the worker before a retryable ServerException',
    default: 30_000,
    parse: integer({ min: 1 }),
  }),
  statusPollMs: setting({
    env: 'STATUS_POLL_MS',
    description: 'Safety net: how often waiting requests re-read stored status in case a notification was missed',
    default: 2_000,
    parse: integer({ min: 10 }),
  }),
  maxLongPollSeconds: setting({
    env: 'MAX_LONG_POLL_SECONDS',
    description: 'Longest `?wait=` a status long poll may ask for',
    default: 60,
    parse: integer({ min: 1, max: 3600 }),
  }),
  callbackAttempts: setting({
    env: 'CALLBACK_ATTEMPTS',
    description: 'Tries per callback delivery',
    default: 8,
    parse: integer({ min: 1, max: 100 }),
  }),
  callbackBackoffMs: setting({
    env: 'CALLBACK_BACKOFF_MS',
    description: 'First callback retry delay (exponential backoff)',
    default: 1000,
    parse: integer({ min: 0 }),
  }),
  callbackTimeoutMs: setting({
    env: 'CALLBACK_TIMEOUT_MS',
    description: 'How long one callback delivery may take',
    default: 10_000,
    parse: integer({ min: 100 }),
  }),
  callbackConcurrency: setting({
    env: 'CALLBACK_CONCURRENCY',
    description: 'Callback deliveries one worker process makes at once',
    default: 16,
    parse: integer({ min: 1, max: 1000 }),
  }),
  workerConcurrency: setting({
    env: 'WORKER_CONCURRENCY',
    description: 'Finalize jobs one worker process runs at once',
    default: 16,
    parse: integer({ min: 1, max: 1000 }),
  }),
  workerProcesses: setting({
    env: 'WORKER_PROCESSES',
    description: '`npm start`: how many worker processes to run',
    default: 1,
    parse: integer({ min: 1, max: 64 }),
  }),
  apiProcesses: setting({
    env: 'API_PROCESSES',
    description:
      '`npm start`: how many API processes serve the port (the launcher holds it and hands each connection to the one with the fewest open); with two or more, a crashed one is not an outage',
    default: 2,
    parse: integer({ min: 1, max: 64 }),
  }),
  finalizeBatchMaxUploads: setting({
    env: 'FINALIZE_BATCH_MAX_UPLOADS',
    description:
      'Group commit: the most uploads one finalize job carries. Completions that arrive while this API process has FINALIZE_BATCH_MAX_IN_FLIGHT jobs queued or running gather into one job',
    default: 64,
    parse: integer({ min: 1, max: 1000 }),
  }),
  finalizeBatchMaxWaitMs: setting({
    env: 'FINALIZE_BATCH_MAX_WAIT_MS',
    description:
      'Group commit: the longest a gathered completion waits for an in-flight job to settle before its batch is sent anyway',
    default: 50,
    parse: integer({ min: 0, max: 60_000 }),
  }),
  finalizeBatchMaxInFlight: setting({
    env: 'FINALIZE_BATCH_MAX_IN_FLIGHT',
    description:
      'Group commit: finalize jobs one API process may have queued or running before completions gather (a completion that arrives below this is sent at once)',
    default: 2,
    parse: integer({ min: 1, max: 1000 }),
  }),
  childSemiSpaceMib: setting({
    env: 'CHILD_SEMI_SPACE_MIB',
    description:
      "`npm start`: V8 semi-space size (MiB, `--max-semi-space-size`) of the API and worker processes it starts; small keeps their peak RSS down (big part buffers live outside the V8 heap), larger means fewer scavenges per small push, `0`: V8's default (16)",
    default: 8,
    parse: integer({ min: 0, max: 256 }),
  }),
  v8HeapGrowingPercent: setting({
    env: 'V8_HEAP_GROWING_PERCENT',
    description:
      "V8's old-generation growing factor of the API and worker processes (`--heap-growing-percent`, applied by each process at start): after a full GC the heap may grow to its live size × (1 + this/100) before the next. Not a limit (the heap still grows as far as its live data needs), only how much garbage it lets pile up; V8 picks 110–400 % on its own. 100 rather than 50: half the full GCs under small pushes, which promote request objects steadily (issue 17, cpu27). `0`: V8's choice",
    default: 100,
    parse: integer({ min: 0, max: 400 }),
  }),
  mallocArenaMax: setting({
    env: 'MALLOC_ARENA_MAX',
    description:
      '`npm start`: glibc `MALLOC_ARENA_MAX` of the API and worker processes (their hash threads would otherwise each grow an arena of their own)',
    default: 2,
    parse: integer({ min: 1, max: 1024 }),
  }),
  mallocMmapThreshold: setting({
    env: 'MALLOC_MMAP_THRESHOLD_',
    description:
      '`npm start`: glibc `MALLOC_MMAP_THRESHOLD_` (bytes) of the API and worker processes: allocations this large (part buffers) are mapped and given back to the OS when freed, instead of staying in the heap',
    default: 1024 * 1024,
    parse: integer({ min: 4096, max: 32 * MiB }),
  }),
  finalizeAttempts: setting({
    env: 'FINALIZE_ATTEMPTS',
    description: 'Tries per finalize job for transient errors',
    default: 5,
    parse: integer({ min: 1, max: 100 }),
  }),
  finalizeBackoffMs: setting({
    env: 'FINALIZE_BACKOFF_MS',
    description: 'First retry delay (exponential backoff)',
    default: 500,
    parse: integer({ min: 0 }),
  }),
  verifyMode: setting({
    env: 'VERIFY_MODE',
    description: '`parts`: check every part against its checksum; `full`: also re-hash the whole stored layer',
    default: 'parts' as const,
    parse: oneOf('parts', 'full'),
  }),
  backgroundVerifyMinBytes: setting({
    env: 'BACKGROUND_VERIFY_MIN_BYTES',
    description: 'Parts at least this large are verified (and flushed) in the background while the upload goes on',
    default: 1024 * 1024,
    parse: integer({ min: 1 }),
  }),
  partFlushBatchBytes: setting({
    env: 'PART_FLUSH_BATCH_BYTES',
    description:
      'Streamed parts one API process wrote to local files are flushed in the background by one job per this many bytes (the rest by completion)',
    default: 64 * 1024 * 1024,
    parse: integer({ min: 1 }),
  }),
  hashThreads: setting({
    env: 'HASH_THREADS',
    description: 'Threads (per API and worker process) that write, hash and verify layer bytes',
    default: () => os.availableParallelism(),
    defaultText: 'the number of CPU cores',
    parse: integer({ min: 1, max: 256 }),
  }),
  hashThreadIdleMs: setting({
    env: 'HASH_THREAD_IDLE_MS',
    description:
      'Hash threads start when a large part or a verification needs one (small parts are hashed inline) and exit after this long idle; each costs about 9 MiB of RSS while it lives',
    default: 30_000,
    parse: integer({ min: 0, max: 3_600_000 }),
  }),
  purgeIntervalMs: setting({
    env: 'PURGE_INTERVAL_MS',
    description: 'How often a worker removes the bytes of abandoned uploads',
    default: 3_600_000,
    parse: integer({ min: 1000 }),
  }),
  purgeGraceMs: setting({
    env: 'PURGE_GRACE_MS',
    description:
      "How long an upload's stored parts must stay untouched before the purge may remove them (when Redis no longer knows the upload, or it has finished)",
    default: 3_600_000,
    parse: integer({ min: 0 }),
  }),
  gcIntervalMs: setting({
    env: 'GC_INTERVAL_MS',
    description: 'How often a worker garbage-collects blobs nothing references (0: never)',
    default: 3_600_000,
    parse: integer({ min: 0 }),
  }),
  gcGraceSeconds: setting({
    env: 'GC_GRACE_SECONDS',
    description: 'How long a blob stays unreferenced (marked) before garbage collection deletes it',
    default: 86_400,
    parse: integer({ min: 0 }),
  }),
  gcLayerLinkGraceSeconds: setting({
    env: 'GC_LAYER_LINK_GRACE_SECONDS',
    description:
      "How long a layer linked to a repository but named by none of its manifests keeps its blob: ECR's layer API uploads layers before the PutImage that names them. Older links keep nothing, so deleting an image frees the layers no other image names (garbage collection marks from manifests)",
    default: 86_400,
    parse: integer({ min: 0 }),
  }),
  metricsPort: setting({
    env: 'METRICS_PORT',
    description:
      'Port of the operations listener (`/metrics`, `/healthz`, `/readyz`), never the API port. Under `npm start` the launcher serves one aggregated `/metrics` of every process there; a process run on its own serves its own (0: any free port)',
    default: 9101,
    parse: integer({ min: 0, max: 65535 }),
  }),
  metricsHost: setting({
    env: 'METRICS_HOST',
    description:
      'Address of the operations listener (METRICS_PORT); loopback by default, as distribution serves its debug listener. `0.0.0.0` lets a Prometheus on another host scrape it',
    default: '127.0.0.1',
    parse: text,
  }),
  tlsCertFile: setting<string | undefined>({
    env: 'TLS_CERT_FILE',
    description:
      'PEM certificate chain: the API port then speaks HTTPS (HTTP/1.1 over TLS). Reloaded when the file changes (renewals need no restart). Set with TLS_KEY_FILE',
    parse: text,
  }),
  tlsKeyFile: setting<string | undefined>({
    env: 'TLS_KEY_FILE',
    description: 'PEM private key of TLS_CERT_FILE; reloaded with it',
    parse: text,
  }),
  auditLog: setting<string | undefined>({
    env: 'AUDIT_LOG',
    description:
      'Where the audit trail goes: a file path (appended, one JSON line per mutating action) or `stdout`; unset: no audit trail',
    parse: text,
  }),
  shutdownTimeoutMs: setting({
    env: 'SHUTDOWN_TIMEOUT_MS',
    description: 'How long shutdown waits for active requests and jobs',
    default: 30_000,
    parse: integer({ min: 0 }),
  }),
  callbackAllowlist: setting<string[]>({
    env: 'CALLBACK_ALLOWLIST',
    description: 'Comma-separated URL prefixes callbacks may be sent to; empty: callbacks disabled',
    default: [],
    parse: list(),
  }),
  callbackSecret: setting<string | undefined>({
    env: 'CALLBACK_SECRET',
    description: 'HMAC-SHA256 key that signs callback bodies',
    parse: text,
  }),
  urlSigningSecret: setting<string | undefined>({
    env: 'URL_SIGNING_SECRET',
    description: 'Key that signs layer download URLs; unset: one is generated once and shared through Redis',
    parse: matching(/^.{16,}$/, 'at least 16 characters'),
  }),
  downloadUrlTtlSeconds: setting({
    env: 'DOWNLOAD_URL_TTL_SECONDS',
    description: 'How long a download URL stays valid',
    default: 3600,
    parse: integer({ min: 1 }),
  }),
  jobLockMs: setting({
    env: 'JOB_LOCK_MS',
    description:
      'BullMQ job lock; a worker that dies loses its job to another within 1.5–2 × this (stall checks run every half of it)',
    default: 4_000,
    parse: integer({ min: 1000 }),
  }),
  auth: setting({
    env: 'AUTH',
    description:
      '`sigv4`: every request must be signed (SigV4) or carry a registry login token; `off`: no authentication (warned about)',
    default: 'sigv4' as const,
    parse: oneOf('sigv4', 'off'),
  }),
  credentialsFile: setting<string | undefined>({
    env: 'CREDENTIALS_FILE',
    description:
      'JSON file of access keys, their permissions and the anonymous-pull repositories (see docs/authentication.md)',
    parse: text,
  }),
  adminAccessKeyId: setting<string | undefined>({
    env: 'ADMIN_ACCESS_KEY_ID',
    description: 'Access key id of one key allowed everything; `npm start` generates one when no key is configured',
    parse: matching(/^[A-Za-z0-9]{4,128}$/, '4 to 128 letters and digits'),
  }),
  adminSecretAccessKey: setting<string | undefined>({
    env: 'ADMIN_SECRET_ACCESS_KEY',
    description: 'Secret access key of the admin key (never logged)',
    parse: matching(/^.{8,}$/, 'at least 8 characters'),
  }),
  authTokenSecret: setting<string | undefined>({
    env: 'AUTH_TOKEN_SECRET',
    description: 'Key that signs registry login tokens; unset: one is generated once and shared through Redis',
    parse: matching(/^.{16,}$/, 'at least 16 characters'),
  }),
  authTokenTtlSeconds: setting({
    env: 'AUTH_TOKEN_TTL_SECONDS',
    description: 'How long a GetAuthorizationToken login token stays valid (ECR: 12 hours)',
    default: 12 * 3600,
    parse: integer({ min: 60 }),
  }),
  authFailureLimit: setting({
    env: 'AUTH_FAILURE_LIMIT',
    description:
      'Failed authentications allowed per (source address, claimed access key id) pair in one window; further failures of the pair are throttled (valid credentials never are)',
    default: 20,
    parse: integer({ min: 1 }),
  }),
  authFailureWindowSeconds: setting({
    env: 'AUTH_FAILURE_WINDOW_SECONDS',
    description: 'Window of AUTH_FAILURE_LIMIT; a throttled caller may retry when it ends',
    default: 300,
    parse: integer({ min: 1 }),
  }),
  trustProxy: setting({
    env: 'TRUST_PROXY',
    description:
      "Express's `trust proxy`: whose X-Forwarded-For gives the client address that failed authentications are counted by. " +
      "false (default): the peer's address; true: the left-most forwarded address; a number: hops to trust; or addresses/subnets (loopback, 10.0.0.0/8, ...)",
    default: false as boolean | number | string[],
    parse: trustProxy,
  }),
  maxOperationBodyBytes: setting({
    env: 'MAX_OPERATION_BODY_BYTES',
    description:
      'Largest body of an ECR request other than UploadLayerPart (MAX_REQUEST_BYTES); read, hashed and authenticated before it is parsed. PutImage manifests are up to 4 MiB',
    default: 8 * MiB,
    parse: integer({ min: 1024 }),
  }),
  keyRequestQuota: setting({
    env: 'KEY_REQUEST_QUOTA',
    description:
      'Requests one access key may make per KEY_REQUEST_QUOTA_WINDOW_SECONDS, shared by all replicas; 0: no quota',
    default: 0,
    parse: integer({ min: 0 }),
  }),
  keyRequestQuotaWindowSeconds: setting({
    env: 'KEY_REQUEST_QUOTA_WINDOW_SECONDS',
    description: 'Window of KEY_REQUEST_QUOTA',
    default: 60,
    parse: integer({ min: 1 }),
  }),
  queuePrefix: setting({
    env: 'QUEUE_PREFIX',
    description: 'Redis key prefix for Longshore and its BullMQ queue',
    default: 'longshore',
    parse: matching(/^[A-Za-z0-9_-]{1,32}$/, 'letters, digits, - or _'),
  }),
  testHoldFinalizeAt: setting({
    env: 'TEST_HOLD_FINALIZE_AT',
    description:
      'Tests only (fault injection): a worker whose finalization reaches this step holds there until it is killed, and tells its parent process (`before-publish`: parts verified and the digest recorded, nothing published; `before-link`: the blob published and indexed, the layer not linked; `mid-batch`: in a finalize job of two or more uploads, the first half settled and the rest held before publishing); `off` in service',
    default: 'off' as const,
    parse: oneOf('off', 'before-publish', 'before-link', 'mid-batch'),
  }),
  testHoldGcAt: setting({
    env: 'TEST_HOLD_GC_AT',
    description:
      "Tests only: a worker's garbage collection that reaches this step tells its parent process which digests it is about to sweep and waits for the parent's `gc-release` message (`before-sweep`: references read, nothing swept yet); `off` in service",
    default: 'off' as const,
    parse: oneOf('off', 'before-sweep'),
  }),
  testHoldLifecycleAt: setting({
    env: 'TEST_HOLD_LIFECYCLE_AT',
    description:
      "Tests only: a worker's lifecycle evaluation that reaches this step tells its parent process and waits for the parent's `lifecycle-release` message (`inside-lock`: the repository's evaluation lock is held, nothing expired yet); `off` in service",
    default: 'off' as const,
    parse: oneOf('off', 'inside-lock'),
  }),
  eventsWebhookUrls: setting<string[]>({
    env: 'EVENTS_WEBHOOK_URL',
    description:
      'Comma-separated http(s) URLs that receive every image event (ECR Image Action, EventBridge-shaped) as a JSON POST; empty: no deliveries',
    default: [],
    parse: describedAs('comma-separated list of URLs (`http:`, `https:`)', (raw) =>
      list()(raw).map((u) => url(['http:', 'https:'])(u)),
    ),
  }),
  eventsWebhookSecret: setting<string | undefined>({
    env: 'EVENTS_WEBHOOK_SECRET',
    description:
      'HMAC-SHA256 key: each event delivery carries `X-Longshore-Signature-256: sha256=<hex of the raw body>`',
    parse: text,
  }),
  eventsRetryHours: setting({
    env: 'EVENTS_RETRY_HOURS',
    description: 'How long an event delivery is retried (exponential back-off, the same event id each time)',
    default: 24,
    parse: integer({ min: 0, max: 24 * 30 }),
  }),
  eventsRetryBaseMs: setting({
    env: 'EVENTS_RETRY_BASE_MS',
    description: 'First event retry delay; each further one doubles, up to an hour',
    default: 1000,
    parse: integer({ min: 1, max: 3_600_000 }),
  }),
  eventsConcurrency: setting({
    env: 'EVENTS_CONCURRENCY',
    description: 'Event deliveries (webhook POSTs) one worker process makes at once',
    default: 16,
    parse: integer({ min: 1, max: 1000 }),
  }),
  lifecycleIntervalSeconds: setting({
    env: 'LIFECYCLE_INTERVAL_SECONDS',
    description:
      "How often the workers apply every repository's lifecycle policy (one evaluation per repository at a time)",
    default: 3600,
    parse: integer({ min: 1 }),
  }),
  lifecycleDutyPercent: setting({
    env: 'LIFECYCLE_DUTY_PERCENT',
    description:
      "Percent of the time a lifecycle evaluation works: after each batch of expiries it rests (100 − percent) ÷ percent times that batch's own duration, leaving the worker and Redis to pushes meanwhile (100: no rest)",
    default: 65,
    parse: integer({ min: 1, max: 100 }),
  }),
  lifecycleDeleteBatch: setting({
    env: 'LIFECYCLE_DELETE_BATCH',
    description:
      'Images a lifecycle evaluation expires per step (one Redis script call, which holds Redis while it runs, and its storage deletes); a rest follows each step',
    default: 100,
    parse: integer({ min: 1, max: 1000 }),
  }),
  pullRecordIntervalSeconds: setting({
    env: 'PULL_RECORD_INTERVAL_SECONDS',
    description:
      'How often at most a manifest pull of one image is written as its `lastRecordedPullTime` (DescribeImages, lifecycle `sinceImagePulled`): pulls in between write nothing, so they stay cheap (0: every pull writes)',
    default: 300,
    parse: integer({ min: 0 }),
  }),
  clockOffsetFile: setting<string | undefined>({
    env: 'CLOCK_OFFSET_FILE',
    description:
      'Tests only: a file holding milliseconds added to the clock of image push times, pull times and lifecycle evaluation (the test harness moves time with it)',
    parse: text,
  }),
  pullThroughTagTtlSeconds: setting({
    env: 'PULL_THROUGH_TAG_TTL_SECONDS',
    description:
      'How long a tag pulled through a pull-through cache rule is served without asking the upstream again (ECR: daily); pulls by digest never ask again',
    default: 86_400,
    parse: integer({ min: 0 }),
  }),
  pullThroughUpstreamTimeoutMs: setting({
    env: 'PULL_THROUGH_UPSTREAM_TIMEOUT_MS',
    description:
      'Longest wait for an upstream registry to answer (headers, then each stretch of a body); past it a cached image is served, or the pull fails',
    default: 5_000,
    parse: integer({ min: 100 }),
  }),
  upstreamCredentialsFile: setting<string | undefined>({
    env: 'UPSTREAM_CREDENTIALS_FILE',
    description:
      'JSON file of the upstream registry credentials pull-through cache rules name by credentialArn (see docs/pull-through-cache.md); read and validated at start, never logged',
    parse: text,
  }),
  createRepositoryOnPush: setting({
    env: 'CREATE_REPOSITORY_ON_PUSH',
    description: 'A manifest pushed over /v2 to a repository that does not exist creates it (ECR PutImage never does)',
    default: true,
    parse: boolean,
  }),
  console: setting({
    env: 'CONSOLE',
    description: 'Serve the read-only web console at /ui/ on the API port (docs/console.md); false: /ui/ is not served',
    default: true,
    parse: boolean,
  }),
};

export type ConfigSpec = typeof configSpec;
export type Settings = {
  [K in keyof ConfigSpec]: ConfigSpec[K] extends Setting<infer T> ? T : never;
};

/** The settings plus what follows from them. */
export interface Config extends Settings {
  /** DATA_DIR/storage: layer bytes. */
  storageDir: string;
  /** DATA_DIR/redis: the embedded Redis's files. */
  redisDir: string;
  /**
   * REDIS_URL (or REDIS_CLUSTER_NODES) names a Redis Cluster. `queuePrefix` is then wrapped in
   * braces, a hash tag that keeps BullMQ's keys in one slot (Longshore's own keys drop the braces
   * and carry their own tags: packages/metadata/src/keys.ts).
   */
  redisCluster: boolean;
}

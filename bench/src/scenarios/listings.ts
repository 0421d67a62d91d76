import { createHash } from 'node:crypto';
import { setTimeout as delay } from 'node:timers/promises';
import { ImageStore, createKeys } from '@longshore/metadata';
import { Redis } from 'ioredis';
import type { BenchSizes } from '../bench-options.js';
import type { RunResult, ScenarioContext, ScenarioDefinition } from '../scenario.js';
import { percentile } from '../stats.js';
import { PushContent } from './small-pushes.js';

/** The service's Redis key prefix, set for the run so the seeding writes where the service reads. */
const PREFIX = 'longshore';
const DAY_MS = 86_400_000;
/** Images put through the metadata scripts at once (pipelined on one connection). */
const SEED_BATCH = 2_000;
/** Requests timed per listing page. */
const PAGE_REQUESTS = 50;
const PAGE_SIZE = 100;
/** Clients pushing small layers, before and during the evaluation. */
const PUSH_CLIENTS = 4;
const PUSH_BYTES = 16 * 1024;
/** The policy keeps 1 in 20 images of each kind (5,000 of 100,000 tagged and untagged): it expires 90%. */
const keptPerKind = (count: number) => Math.floor(count / 20);

const MANIFEST = 'application/vnd.oci.image.manifest.v1+json';
const OCI_CONFIG = 'application/vnd.oci.image.config.v1+json';

const pageTarget = { max: 50 } as const;

export const listings: ScenarioDefinition = {
  name: 'listings',
  summary:
    'one repository with `listingImages` (100,000) images, half tagged, seeded through the image scripts; ' +
    'p50/p99 of the first and a middle page of ListImages, DescribeImages and /v2 tags/list; then one ' +
    'lifecycle evaluation expiring 90%, its duration, and the small-push p99 during it vs before it',
  serviceEnv: { QUEUE_PREFIX: PREFIX, LIFECYCLE_INTERVAL_SECONDS: '1', VERIFY_MODE: 'parts' },
  localOnly: true,
  figures: [
    { name: 'listFirstP99Ms', label: 'ListImages first page p99', unit: 'ms', target: pageTarget },
    { name: 'listMiddleP99Ms', label: 'ListImages middle page p99', unit: 'ms', target: pageTarget },
    { name: 'describeFirstP99Ms', label: 'DescribeImages first page p99', unit: 'ms', target: pageTarget },
    { name: 'describeMiddleP99Ms', label: 'DescribeImages middle page p99', unit: 'ms', target: pageTarget },
    { name: 'tagsFirstP99Ms', label: 'tags/list first page p99', unit: 'ms', target: pageTarget },
    { name: 'tagsMiddleP99Ms', label: 'tags/list middle page p99', unit: 'ms', target: pageTarget },
    { name: 'evaluationMs', label: 'lifecycle evaluation', unit: 'ms', target: { max: 60_000 } },
    { name: 'expiredImages', label: 'images expired', unit: 'count' },
    { name: 'pushP99Ms', label: 'small push p99 without evaluation', unit: 'ms' },
    { name: 'pushP99DuringMs', label: 'small push p99 during evaluation', unit: 'ms' },
    { name: 'pushP99Ratio', label: 'small push p99 during ÷ without', unit: 'ratio', target: { max: 1.5 } },
    { name: 'apiPeakMiB', label: 'API peak RSS', unit: 'MiB', target: { max: 150 } },
    { name: 'workerPeakMiB', label: 'worker peak RSS', unit: 'MiB', target: { max: 150 } },
    { name: 'redisPeakMiB', label: 'redis-server peak RSS', unit: 'MiB' },
  ],
  timeoutMs: (sizes: BenchSizes) => 300_000 + sizes.listingImages * 10,
  async run(ctx) {
    if (!ctx.redisUrl)
      throw new Error('the listings scenario seeds the service’s Redis: it needs the bench’s own service');
    const redis = new Redis(ctx.redisUrl, { lazyConnect: false, maxRetriesPerRequest: null });
    try {
      return await measure(ctx, redis);
    } finally {
      redis.disconnect();
    }
  },
};

async function measure(ctx: ScenarioContext, redis: Redis): Promise<RunResult> {
  const count = ctx.sizes.listingImages;
  const store = new ImageStore(redis, createKeys(PREFIX));
  const now = Date.now();
  const seedStart = performance.now();
  const tags = await seed(ctx, store, count, now);
  const seedMs = performance.now() - seedStart;
  // The seeding's 100,000 image writes double Redis's append-only file: the rewrite Redis then
  // forks is the seeding's cost, not the listings'. Wait until it is done.
  const seedRewrites = await aofSettled(ctx, redis);

  const rewritesBefore = await aofRewrites(redis);
  const pages = await timePages(ctx, tags);
  const baselineCpu = await ctx.cpuWindow();
  const baseline = await pushLoad(ctx, (elapsedMs) => elapsedMs >= Math.min(10_000, count / 10));
  const cpuBefore = (await baselineCpu.stop()).percent;
  const rewritesBeforeEvaluation = await aofRewrites(redis);
  const slowlog = await startSlowlog(redis);
  const evaluationCpu = await ctx.cpuWindow();
  const evaluation = await evaluate(ctx, redis, keptPerKind(count), 2 * keptPerKind(count));
  const cpuDuring = (await evaluationCpu.stop()).percent;
  const longestCommands = await slowlog.stop();
  const rewritesAfterEvaluation = await aofRewrites(redis);
  const remaining = await redis.hlen(createKeys(PREFIX).images(ctx.repositoryName).images);

  const pushP99Ms = percentile(baseline.latencies, 99);
  const pushP99DuringMs = percentile(evaluation.pushes.latencies, 99);
  return {
    figures: {
      ...pages.figures,
      evaluationMs: evaluation.ms,
      expiredImages: count - remaining,
      pushP99Ms,
      pushP99DuringMs,
      pushP99Ratio: pushP99DuringMs / pushP99Ms,
    },
    detail: {
      images: count,
      taggedImages: tags.length,
      seedSeconds: round(seedMs / 1000),
      aofRewritesAfterSeed: seedRewrites,
      aofRewritesDuringPagesAndBaseline: rewritesBeforeEvaluation - rewritesBefore,
      aofRewritesDuringEvaluation: rewritesAfterEvaluation - rewritesBeforeEvaluation,
      remainingImages: remaining,
      pageP50Ms: pages.p50,
      pushesBefore: baseline.latencies.length,
      pushesDuring: evaluation.pushes.latencies.length,
      pushErrors: baseline.errors + evaluation.pushes.errors,
      pushP50Ms: round(percentile(baseline.latencies, 50)),
      pushP50DuringMs: round(percentile(evaluation.pushes.latencies, 50)),
      // Percent of one core per process; the evaluation's window includes the pushes made meanwhile.
      cpuPercentBeforeEvaluation: cpuBefore,
      cpuPercentDuringEvaluation: cpuDuring,
      // Redis SLOWLOG during the evaluation: the longest commands (each blocks every client meanwhile).
      longestRedisCommandsDuringEvaluation: longestCommands,
      cpuMsPerExpiredImage: Object.fromEntries(
        Object.entries(cpuDuring).map(([name, percent]) => [
          name,
          Math.round((percent / 100) * (evaluation.windowMs / Math.max(1, count - remaining)) * 1000) / 1000,
        ]),
      ),
    },
  };
}

/**
 * `count` images put through the image scripts (ImageStore.put, as a push stores them), in
 * pipelined batches: every even one tagged `build-<n>`, pushed one second apart, the 90% oldest
 * more than two days ago. Answers the tags.
 */
async function seed(ctx: ScenarioContext, store: ImageStore, count: number, now: number): Promise<string[]> {
  const old = count - 2 * keptPerKind(count);
  const tags: string[] = [];
  for (let start = 0; start < count; start += SEED_BATCH) {
    ctx.signal.throwIfAborted();
    ctx.progress(`listings: seeding images ${start}/${count}`);
    const batch = Array.from({ length: Math.min(SEED_BATCH, count - start) }, (_, j) => start + j);
    await Promise.all(
      batch.map((i) => {
        const bytes = Buffer.from(JSON.stringify({ schemaVersion: 2, mediaType: MANIFEST, n: i }));
        const digest = `sha256:${createHash('sha256').update(bytes).digest('hex')}`;
        const pushedAt = i < old ? now - 2 * DAY_MS - (old - i) * 1000 : now - (count - i) * 1000;
        const tag = i % 2 === 0 ? `build-${String(i).padStart(6, '0')}` : undefined;
        if (tag) tags.push(tag);
        return store.put(ctx.repositoryName, {
          record: {
            digest,
            mediaType: MANIFEST,
            manifestSize: bytes.length,
            imageSizeInBytes: 1024,
            pushedAt,
            configMediaType: OCI_CONFIG,
          },
          bytes,
          ...(tag ? { tag } : {}),
          rejectUnchanged: false,
          tagImmutable: false,
        });
      }),
    );
  }
  return tags.sort();
}

/** p50/p99 of PAGE_REQUESTS requests for the first and a middle page of each listing. */
async function timePages(ctx: ScenarioContext, tags: string[]) {
  const { ecr, repositoryName, signal } = ctx;
  const list = (nextToken?: string) =>
    ecr.call<{ imageIds: unknown[]; nextToken?: string }>(
      'ListImages',
      { repositoryName, maxResults: PAGE_SIZE, ...(nextToken ? { nextToken } : {}) },
      { signal },
    );
  const describe = (nextToken?: string) =>
    ecr.call<{ imageDetails: unknown[]; nextToken?: string }>(
      'DescribeImages',
      { repositoryName, maxResults: PAGE_SIZE, ...(nextToken ? { nextToken } : {}) },
      { signal },
    );
  const tagPage = async (last?: string) => {
    const query = `n=${PAGE_SIZE}${last ? `&last=${encodeURIComponent(last)}` : ''}`;
    const res = await ctx.http!.request('GET', `/v2/${repositoryName}/tags/list?${query}`, {}, [], { signal });
    if (res.status !== 200) throw new Error(`tags/list answered ${res.status}`);
    const body = JSON.parse(res.body.toString('utf8')) as { tags: string[] };
    if (body.tags.length !== PAGE_SIZE) throw new Error(`tags/list answered ${body.tags.length} tags`);
  };

  ctx.progress('listings: paging to the middle of ListImages and DescribeImages');
  const middleList = await tokenAtMiddle(ctx, 'ListImages', 'imageIds');
  const middleDescribe = await tokenAtMiddle(ctx, 'DescribeImages', 'imageDetails');
  const series: [string, () => Promise<unknown>][] = [
    ['listFirst', () => list()],
    ['listMiddle', () => list(middleList)],
    ['describeFirst', () => describe()],
    ['describeMiddle', () => describe(middleDescribe)],
    ['tagsFirst', () => tagPage()],
    ['tagsMiddle', () => tagPage(tags[tags.length >> 1])],
  ];
  const figures: Record<string, number> = {};
  const p50: Record<string, number> = {};
  for (const [name, request] of series) {
    ctx.progress(`listings: timing ${name}`);
    await request(); // warm-up
    const ms: number[] = [];
    for (let i = 0; i < PAGE_REQUESTS; i += 1) {
      const t0 = performance.now();
      await request();
      ms.push(performance.now() - t0);
    }
    figures[`${name}P99Ms`] = percentile(ms, 99);
    p50[name] = round(percentile(ms, 50));
  }
  return { figures, p50 };
}

/** The nextToken of the page after the first half of a listing, reached by paging (1000 a page). */
async function tokenAtMiddle(ctx: ScenarioContext, operation: string, field: string): Promise<string> {
  let seen = 0;
  let nextToken: string | undefined;
  do {
    const page = await ctx.ecr.call<Record<string, unknown[]> & { nextToken?: string }>(
      operation,
      { repositoryName: ctx.repositoryName, maxResults: 1000, ...(nextToken ? { nextToken } : {}) },
      { signal: ctx.signal },
    );
    seen += page[field]!.length;
    nextToken = page.nextToken;
  } while (nextToken && seen < ctx.sizes.listingImages / 2);
  if (!nextToken) throw new Error(`${operation} ended after ${seen} entries`);
  return nextToken;
}

interface PushTally {
  latencies: number[];
  errors: number;
}

/** PUSH_CLIENTS clients pushing small layers (ECR initiate + part + complete) until `done`. */
async function pushLoad(ctx: ScenarioContext, done: (elapsedMs: number) => boolean): Promise<PushTally> {
  const tally: PushTally = { latencies: [], errors: 0 };
  const started = performance.now();
  const request = { signal: ctx.signal };
  const client = async () => {
    const content = new PushContent(PUSH_BYTES);
    while (!done(performance.now() - started) && !ctx.signal.aborted) {
      const t0 = performance.now();
      try {
        const uploadId = await ctx.ecr.initiate(ctx.repositoryName, request);
        const part = content.next();
        await ctx.ecr.uploadPart(ctx.repositoryName, uploadId, 0, PUSH_BYTES - 1, part.base64, request);
        await ctx.ecr.complete(ctx.repositoryName, uploadId, part.digest, { ...request, retry: false });
        tally.latencies.push(performance.now() - t0);
      } catch {
        if (ctx.signal.aborted) return;
        tally.errors += 1;
      }
    }
  };
  await Promise.all(Array.from({ length: PUSH_CLIENTS }, client));
  ctx.signal.throwIfAborted();
  return tally;
}

/**
 * Puts a policy expiring 90% of the images (the tagged beyond the newest `kept`, the untagged
 * pushed over a day ago), then waits for the workers' next evaluation to set lastEvaluatedAt,
 * pushing small layers meanwhile. Its duration runs from lastEvaluatedAt (the evaluation's
 * start; or, when that stamp is a later run's, the first image seen gone) to when the stamp was
 * seen set with the expired images gone.
 */
async function evaluate(
  ctx: ScenarioContext,
  redis: Redis,
  kept: number,
  remainingAfter: number,
): Promise<{ ms: number; windowMs: number; pushes: PushTally }> {
  const windowStart = performance.now();
  const { ecr, repositoryName, signal } = ctx;
  const rules = [
    {
      rulePriority: 1,
      description: 'keep the newest builds',
      selection: {
        tagStatus: 'tagged',
        tagPrefixList: ['build-'],
        countType: 'imageCountMoreThan',
        countNumber: kept,
      },
      action: { type: 'expire' },
    },
    {
      rulePriority: 2,
      description: 'untagged images go after a day',
      selection: { tagStatus: 'untagged', countType: 'sinceImagePushed', countUnit: 'days', countNumber: 1 },
      action: { type: 'expire' },
    },
  ];
  await ecr.call('PutLifecyclePolicy', { repositoryName, lifecyclePolicyText: JSON.stringify({ rules }) }, { signal });
  const policyPutAt = Date.now();
  let evaluatedAt: number | undefined;
  let seenAt = 0;
  let firstGoneAt: number | undefined;
  const imagesKey = createKeys(PREFIX).images(repositoryName).images;
  const seeded = await redis.hlen(imagesKey);
  // Done once lastEvaluatedAt is set and the expired images are gone. lastEvaluatedAt alone is
  // not enough: a later run (every second) may have overwritten the first run's stamp before
  // it was seen, so the start is also bounded by when the first image was seen gone.
  const watch = async () => {
    for (;;) {
      signal.throwIfAborted();
      const left = await redis.hlen(imagesKey);
      if (left < seeded) firstGoneAt ??= Date.now();
      const found = await ecr.call<{ lastEvaluatedAt?: number }>('GetLifecyclePolicy', { repositoryName }, { signal });
      if (found.lastEvaluatedAt !== undefined && left <= remainingAfter) {
        seenAt = Date.now();
        evaluatedAt = found.lastEvaluatedAt * 1000;
        return;
      }
      ctx.progress(`listings: lifecycle evaluation, ${left} images left`);
      await delay(100);
    }
  };
  const [pushes] = await Promise.all([pushLoad(ctx, () => evaluatedAt !== undefined), watch()]);
  const startedAt = Math.min(firstGoneAt ?? seenAt, Math.max(evaluatedAt!, policyPutAt - 1000));
  return { ms: seenAt - startedAt, windowMs: performance.now() - windowStart, pushes };
}

/** Commands at least this long go to Redis's SLOWLOG during the evaluation. */
const SLOWLOG_MIN_US = 2_000;
const SLOWLOG_KEPT = 128;

/**
 * Records the Redis commands of at least SLOWLOG_MIN_US (SLOWLOG) from now; `stop` puts the
 * settings back and answers how many there were, the longest and the five longest (µs, command).
 */
async function startSlowlog(redis: Redis) {
  const setting = (await redis.config('GET', 'slowlog-*')) as string[];
  const before = Object.fromEntries(setting.flatMap((_, i) => (i % 2 === 0 ? [[setting[i]!, setting[i + 1]!]] : [])));
  await redis.config('SET', 'slowlog-log-slower-than', String(SLOWLOG_MIN_US), 'slowlog-max-len', String(SLOWLOG_KEPT));
  await redis.slowlog('RESET');
  return {
    async stop() {
      const entries = (await redis.slowlog('GET', SLOWLOG_KEPT)) as [number, number, number, string[]][];
      const count = Number(await redis.slowlog('LEN'));
      for (const [name, value] of Object.entries(before)) await redis.config('SET', name, value);
      const longest = entries
        .map(([, , us, args]) => ({ us, command: describeCommand(args) }))
        .sort((a, b) => b.us - a.us);
      return { overMs: SLOWLOG_MIN_US / 1000, count, longestUs: longest[0]?.us ?? 0, top: longest.slice(0, 5) };
    },
  };
}

/** A SLOWLOG entry's command: its name, and for a script its sha's start and first key. */
function describeCommand(args: string[]): string {
  const [name = '', ...rest] = args;
  if (/^evalsha/i.test(name)) return `${name} ${rest[0]?.slice(0, 8)} ${rest[2] ?? ''}`;
  return [name, ...rest.slice(0, 2)].join(' ').slice(0, 80);
}

/** How many append-only-file rewrites Redis has completed (INFO persistence `aof_rewrites`). */
async function aofRewrites(redis: Redis): Promise<number> {
  return Number(/^aof_rewrites:(\d+)/m.exec(await redis.info('persistence'))?.[1] ?? 0);
}

/** Waits until Redis neither runs nor has scheduled an append-only-file rewrite; answers how many it completed. */
async function aofSettled(ctx: ScenarioContext, redis: Redis): Promise<number> {
  for (;;) {
    ctx.signal.throwIfAborted();
    const info = await redis.info('persistence');
    if (!/^aof_rewrite_in_progress:1/m.test(info) && !/^aof_rewrite_scheduled:1/m.test(info)) {
      return aofRewrites(redis);
    }
    ctx.progress('listings: waiting for the seeding’s AOF rewrite');
    await delay(100);
  }
}

function round(value: number): number {
  return Math.round(value * 10) / 10;
}

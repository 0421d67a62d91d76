import type { Express, Request, Response } from 'express';
import { PageTokens } from '@longshore/auth';
import type { Config } from '@longshore/config';
import { prepareEcrInputValidators, type RequestValidationError, UnsupportedOperationError } from '@longshore/domain';
import { preloadScripts, sharedSecret, WORKER_ALIVE_MS } from '@longshore/metadata';
import { checkRedis } from '@longshore/queue';
import { checkStorage } from '@longshore/storage';
import type { Registry } from 'prom-client';
import type { Logger, ReadinessCheck } from '@longshore/telemetry';
import { type ApiContext, createApiContext } from './api-context.js';
import { buildAuth } from './auth/build-auth.js';
import { registryBasicAuth } from './auth/registry-basic-auth.js';
import { buildServices } from './build-services.js';
import { buildConsole } from './build-console.js';
import { createApp } from './create-app.js';
import { createDownloadRouter } from './downloads/download-router.js';
import { DownloadUrlSigner } from './downloads/download-url-signer.js';
import { createEcrRouter } from './ecr/ecr-router.js';
import { createOperations } from './ecr/operations/index.js';
import { sendError } from './errors/send-error.js';
import { wireOf } from './errors/wire-of.js';
import { createHealthRouter } from './health/health-router.js';
import { createPublicBaseUrl } from './http/public-base-url.js';
import { malformedHostCheck, rejectMalformedHost } from './http/reject-malformed-host.js';
import { buildPullThrough } from './pull-through/build-pull-through.js';
import { withPullThrough } from './pull-through/with-pull-through.js';
import { BlobUploads } from './uploads/blob-uploads.js';
import { createV1Router } from './v1/v1-router.js';
import { createV2Routes } from './v2/create-v2-routes.js';
import { createV2Router, ownsV2Url } from './v2/v2-router.js';

export interface Api {
  app: Express;
  /** This process's metrics: served on METRICS_PORT, never on the API port. */
  metricsRegistry: Registry;
  /** What /readyz checks (on the API port and on METRICS_PORT). */
  readiness: ReadinessCheck[];
  /** Answers every pending wait (completions, long polls) with the status as it stands. */
  endWaits(): Promise<void>;
  /** Releases the pools and connections; call after the server has finished its requests. */
  close(): Promise<void>;
}

/** The ECR operations of a push (docker's order), whose input validators are compiled at start. */
const PUSH_OPERATIONS = [
  'GetAuthorizationToken',
  'BatchCheckLayerAvailability',
  'InitiateLayerUpload',
  'UploadLayerPart',
  'CompleteLayerUpload',
  'PutImage',
] as const;

/**
 * The composition root: builds every part of the API from the configuration, once. What the
 * parts share (connections, stores, queues, metrics: api-context.ts), the services behind the
 * doors, who may do what, the pull-through cache, the console, then the doors, in the order a
 * request meets them.
 */
export async function buildApi(config: Config, log: Logger): Promise<Api> {
  const context = await createApiContext(config, log);
  // The stores' scripts in Redis's cache before the first request, not on its critical path (preload-scripts.ts).
  // A push's ECR operations validated by compiled code from the first request on.
  prepareEcrInputValidators(PUSH_OPERATIONS);
  const scriptsLoaded = preloadScripts(context.redis).catch((err: unknown) =>
    log.warn({ err }, 'could not preload the Redis scripts; each is sent on its first use'),
  );
  const services = buildServices(context);
  const access = await buildAuth(context);
  // With S3 storage, blob GETs redirect to a presigned URL of the store (S3_REDIRECT_DOWNLOADS).
  const delivery =
    config.storage === 's3' && config.s3RedirectDownloads ? { redirectSeconds: config.downloadUrlTtlSeconds } : {};
  const pullThrough = buildPullThrough(context, services, delivery);
  const signer = new DownloadUrlSigner(
    config.urlSigningSecret ?? (await sharedSecret(context.redis, context.stores.keys.urlSigningSecret)),
    config.downloadUrlTtlSeconds,
  );
  const baseUrl = createPublicBaseUrl({
    publicUrl: config.publicUrl,
    allowedHosts: config.allowedHosts,
    listenHost: config.host,
  });
  const readiness = readinessChecks(context);
  const consoleDoor = buildConsole(context, services, access, baseUrl);
  const { metrics, audit, storage } = context;
  const { uploads, layers, repositories, images } = services;
  const v2Door = createV2Router({
    metrics,
    authorize: registryBasicAuth(access.auth),
    challengeRealm: challengeRealm(config, baseUrl),
    audit,
    routes: createV2Routes({
      uploads,
      blobUploads: new BlobUploads({
        uploads,
        layers,
        repositories,
        registryId: config.registryId,
        policy: { minPartSize: 0, maxPartSize: config.maxLayerSize, allowEmpty: true },
        createRepositoryOnPush: config.createRepositoryOnPush,
      }),
      images: withPullThrough(images, pullThrough.cache),
      layers,
      storage,
      pullThrough: pullThrough.cache,
      registryId: config.registryId,
      delivery,
    }),
  });
  const app = createApp({
    log,
    trustProxy: config.trustProxy,
    routers: [
      rejectMalformedHost(answerMalformedHost),
      createEcrRouter({
        operations: createOperations({
          repositories,
          uploads,
          layers,
          images,
          downloads: signer,
          tokens: access.tokens,
          pageTokens: new PageTokens(access.tokenSecret),
          tokenTtlSeconds: config.authTokenTtlSeconds,
          region: config.region,
          pullThroughRules: pullThrough.rules,
          lifecycle: services.lifecycle,
          pullThrough: pullThrough.cache,
        }),
        metrics,
        maxRequestBytes: config.maxRequestBytes,
        maxOperationBodyBytes: config.maxOperationBodyBytes,
        baseUrl,
        auth: access.auth,
        audit,
        repositories,
        heapGrowth: services.heapGrowth,
        stagePart: storage.localParts?.stagePart,
        hashPool: context.hashPool,
        partsBootMarked: uploads.largePartsBootMarked,
      }),
      createV1Router({
        uploads,
        metrics,
        auth: access.auth,
        audit,
        callbackAllowlist: config.callbackAllowlist,
        maxLongPollSeconds: config.maxLongPollSeconds,
      }),
      v2Door,
      createDownloadRouter({ signer, layers, storage, registryId: config.registryId, delivery }),
      createHealthRouter(readiness),
      ...(consoleDoor.router ? [consoleDoor.router] : []),
    ],
    direct: { owns: ownsV2Url, handlers: [malformedHostCheck(answerMalformedHost), v2Door] },
  });

  await scriptsLoaded;
  return {
    app,
    metricsRegistry: context.metricsRegistry,
    readiness,
    endWaits: () => context.waiter.close(),
    async close() {
      access.close();
      await consoleDoor.close();
      await context.close();
    },
  };
}

/**
 * A request with a malformed Host header, answered in its door's error form. On /v2 an invalid
 * request header is UNSUPPORTED (no upload is involved to call invalid).
 */
function answerMalformedHost(req: Request, res: Response, error: RequestValidationError): void {
  const wire = wireOf(req);
  sendError(wire, res, wire === 'v2' ? new UnsupportedOperationError(error.message) : error);
}

/** What /readyz checks: Redis, the storage, and a worker consuming the finalize queue. */
function readinessChecks(context: ApiContext): ReadinessCheck[] {
  return [
    { name: 'redis', check: () => checkRedis(context.redis) },
    { name: 'storage', check: () => checkStorage(context.storage) },
    {
      name: 'worker',
      check: async () => {
        if ((await context.stores.workers.countAlive(WORKER_ALIVE_MS)) === 0)
          throw new Error('no worker is consuming the finalize queue');
      },
    },
  ];
}

/** The realm of a /v2 challenge is only a label; it never echoes a Host the service was not configured for. */
function challengeRealm(config: Config, baseUrl: (req: Request) => string) {
  return (req: Request) => {
    try {
      return baseUrl(req);
    } catch {
      return config.publicUrl ?? `${req.protocol}://${config.host}:${config.port}`;
    }
  };
}

import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import type { Request } from 'express';
import { ConsoleSessions } from '@longshore/auth';
import { HEARTBEAT_MS, WorkerRegistry } from '@longshore/metadata';
import type { Router } from 'express';
import type { ApiContext } from './api-context.js';
import type { ApiAuth } from './auth/build-auth.js';
import type { ApiServices } from './build-services.js';
import { ImageOverview } from './overview/image-overview.js';
import { OperationsOverview } from './overview/operations-overview.js';
import { RepositoryOverview } from './overview/repository-overview.js';
import { createConsoleRouter } from './console/console-router.js';

/** The read-only web console (docs/console.md), when CONSOLE is on: its router, and what to stop. */
export interface ApiConsole {
  router?: Router;
  close(): Promise<void>;
}

export function buildConsole(
  context: ApiContext,
  services: ApiServices,
  access: ApiAuth,
  baseUrl: (req: Request) => string,
): ApiConsole {
  const { config, redis, stores } = context;
  if (!config.console) return { close: async () => undefined };
  const apiProcesses = new WorkerRegistry(redis, stores.keys, 'apiProcesses');
  const operations = new OperationsOverview({
    redis,
    queueRedis: context.queueRedis,
    keys: stores.keys,
    queuePrefix: config.queuePrefix,
    uploads: stores.uploads,
    workers: stores.workers,
    apis: apiProcesses,
  });
  // While the console is on, this process announces itself for its Operations page.
  const apiProcessId = `${hostname()}/${process.pid}/${randomUUID().slice(0, 8)}`;
  const beat = () => void apiProcesses.heartbeat(apiProcessId).catch(() => undefined);
  const heartbeat = setInterval(beat, HEARTBEAT_MS);
  heartbeat.unref();
  beat();
  const router = createConsoleRouter({
    auth: access.auth,
    sessions: new ConsoleSessions(access.tokenSecret, access.generations),
    repositories: new RepositoryOverview({
      repositories: services.repositories,
      images: stores.images,
      lifecycle: stores.lifecycle,
    }),
    images: new ImageOverview({
      repositories: services.repositories,
      images: services.images,
      imageStore: stores.images,
      layers: services.layers,
      storage: context.storage,
    }),
    operations,
    baseUrl,
  });
  return {
    router,
    async close() {
      clearInterval(heartbeat);
      await apiProcesses.remove(apiProcessId).catch(() => undefined);
      await operations.close();
    },
  };
}

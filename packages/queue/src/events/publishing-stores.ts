import type { Cluster, Redis } from 'ioredis';
import type { Config } from '@longshore/config';
import { createStores, type Stores } from '@longshore/metadata';
import { createEventPublisher, type EventPublisher } from './event-publisher.js';
import { imageEventChanges } from './image-event-changes.js';

export interface PublishingStores {
  stores: Stores;
  /** The publisher of the service's events (the API's pushes and deletes, the worker's lifecycle expiries). */
  events: EventPublisher;
  /** The account and region of the events' ARNs. */
  where: { account: string; region: string };
}

/**
 * The metadata stores of a process (API or worker), whose image changes publish ECR image events
 * through one publisher: `storeRedis` for the stores, `queueRedis` for the event queue.
 */
export function createPublishingStores(
  connections: { storeRedis: Redis | Cluster; queueRedis: Redis | Cluster },
  config: Config,
  storage: Parameters<typeof createStores>[3],
  onErrors: { queue(err: Error): void; event(err: unknown): void },
): PublishingStores {
  const where = { account: config.registryId, region: config.region };
  const events = createEventPublisher(connections.queueRedis, {
    prefix: config.queuePrefix,
    webhookUrls: config.eventsWebhookUrls,
    ...where,
    onError: onErrors.queue,
  });
  const stores = createStores(connections.storeRedis, config.queuePrefix, config, storage, {
    imageChanges: imageEventChanges(events, where, onErrors.event),
  });
  return { stores, events, where };
}

import type { ApiContext } from '../api-context.js';
import type { ApiServices } from '../build-services.js';
import type { BlobDelivery } from '../http/send-blob.js';
import { FetchLease } from './fetch-lease.js';
import { PullThroughCache } from './pull-through-cache.js';
import { publishedPullThroughEvents } from './pull-through-events.js';
import { createPullThroughMetrics } from './pull-through-metrics.js';
import { PullThroughRuleStore } from './pull-through-rule-store.js';
import { PullThroughRules } from './pull-through-rules.js';
import { TagFreshness } from './tag-freshness.js';
import { UpstreamCredentials } from './upstream-credentials.js';
import { UpstreamRegistry } from './upstream-registry.js';

/** Pull-through cache rules and the cache in front of the /v2 reads (docs/pull-through-cache.md). */
export interface ApiPullThrough {
  rules: PullThroughRules;
  cache: PullThroughCache;
}

export function buildPullThrough(context: ApiContext, services: ApiServices, delivery: BlobDelivery): ApiPullThrough {
  const { config, log, redis, stores } = context;
  const keyPrefix = config.queuePrefix.replace(/^\{(.*)\}$/, '$1');
  const credentials = UpstreamCredentials.load(config.upstreamCredentialsFile);
  const upstream = new UpstreamRegistry({ timeoutMs: config.pullThroughUpstreamTimeoutMs });
  const ruleStore = new PullThroughRuleStore(redis, stores.keys.pullThroughRules, stores.mirror);
  const rules = new PullThroughRules({
    store: ruleStore,
    credentials,
    upstream,
    registryId: config.registryId,
  });
  const cache = new PullThroughCache({
    rules: ruleStore,
    credentials,
    upstream,
    images: services.images,
    repositories: services.repositories,
    layers: stores.layers,
    blobs: stores.blobs,
    storage: context.storage,
    lease: new FetchLease(redis, keyPrefix),
    freshness: new TagFreshness(redis, keyPrefix, config.pullThroughTagTtlSeconds),
    metrics: createPullThroughMetrics(context.metricsRegistry),
    events: publishedPullThroughEvents(context.events, context.where, context.onEventError),
    registryId: config.registryId,
    delivery,
    log,
  });
  return { rules, cache };
}

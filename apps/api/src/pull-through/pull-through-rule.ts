import {
  InvalidParameterException,
  UnsupportedUpstreamRegistryException,
  type UpstreamRegistry,
} from '@longshore/domain';

/** One pull-through cache rule, as stored (timestamps in epoch ms). */
export interface PullThroughRule {
  /** The normalised prefix (no trailing '/'), or `ROOT` for every repository. */
  ecrRepositoryPrefix: string;
  /** As given by the caller (answered back unchanged). */
  upstreamRegistryUrl: string;
  upstreamRegistry?: UpstreamRegistry;
  upstreamRepositoryPrefix?: string;
  credentialArn?: string;
  customRoleArn?: string;
  registryId: string;
  createdAt: number;
  updatedAt: number;
}

/** The prefix that matches every repository (ECR's `ROOT`). */
export const ROOT_PREFIX = 'ROOT';

/** A prefix as stored and matched: without the trailing '/' the model allows. */
export function normalizePrefix(prefix: string): string {
  return prefix === ROOT_PREFIX ? prefix : prefix.replace(/\/+$/, '');
}

/**
 * The base URL an `upstreamRegistryUrl` is reached at: `http://` only when written so (a registry
 * inside a private network), HTTPS otherwise. A bare host (`registry-1.docker.io`, `ghcr.io`,
 * `127.0.0.1:5000`) is HTTPS. Anything else than a host, an optional port and an optional root
 * path is UnsupportedUpstreamRegistryException.
 */
export function upstreamBaseUrl(upstreamRegistryUrl: string): URL {
  const written = upstreamRegistryUrl.trim();
  if (!written) throw new InvalidParameterException("Invalid parameter at 'upstreamRegistryUrl': it is empty");
  const withScheme = /^[a-z][a-z0-9+.-]*:\/\//i.test(written) ? written : `https://${written}`;
  let url: URL;
  try {
    url = new URL(withScheme);
  } catch {
    throw new UnsupportedUpstreamRegistryException(
      `The upstream registry URL '${upstreamRegistryUrl}' is not a registry host Longshore can pull through`,
    );
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new UnsupportedUpstreamRegistryException(
      `The upstream registry URL '${upstreamRegistryUrl}' uses ${url.protocol.slice(0, -1)}; only http:// and https:// registries are supported`,
    );
  }
  if (url.username || url.password || url.search || url.hash || (url.pathname !== '/' && url.pathname !== '')) {
    throw new UnsupportedUpstreamRegistryException(
      `The upstream registry URL '${upstreamRegistryUrl}' must name a registry host (and port), without a path, query or credentials`,
    );
  }
  return new URL(`${url.protocol}//${url.host}`);
}

/** Where a repository of a rule comes from upstream. */
export interface UpstreamTarget {
  rule: PullThroughRule;
  /** The repository's name at the upstream registry. */
  upstreamRepository: string;
}

/**
 * The rule a repository name falls under (the longest matching prefix; `ROOT` last) and the
 * upstream repository it maps to: `<prefix>/<rest>` → `<upstreamRepositoryPrefix>/<rest>`, or
 * `<rest>` without an upstream prefix. Undefined when no rule matches.
 */
export function matchRule(rules: readonly PullThroughRule[], repositoryName: string): UpstreamTarget | undefined {
  let best: PullThroughRule | undefined;
  let rest = '';
  for (const rule of rules) {
    const prefix = rule.ecrRepositoryPrefix;
    if (prefix === ROOT_PREFIX) {
      if (!best) {
        best = rule;
        rest = repositoryName;
      }
      continue;
    }
    if (!repositoryName.startsWith(`${prefix}/`) || repositoryName.length === prefix.length + 1) continue;
    if (best && best.ecrRepositoryPrefix !== ROOT_PREFIX && best.ecrRepositoryPrefix.length >= prefix.length) continue;
    best = rule;
    rest = repositoryName.slice(prefix.length + 1);
  }
  if (!best) return undefined;
  const upstreamPrefix = best.upstreamRepositoryPrefix ? normalizePrefix(best.upstreamRepositoryPrefix) : '';
  const upstreamRepository = upstreamPrefix && upstreamPrefix !== ROOT_PREFIX ? `${upstreamPrefix}/${rest}` : rest;
  return { rule: best, upstreamRepository };
}

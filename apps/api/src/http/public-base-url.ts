import type { Request } from 'express';
import { RequestValidationError } from '@longshore/domain';
import { parseHostHeader } from './host-header.js';

export interface PublicBaseUrlOptions {
  /** PUBLIC_URL: when set, the only base URL ever used. */
  publicUrl: string | undefined;
  /** ALLOWED_HOSTS: `name` (any port), `name:port`, or `*` (any host). */
  allowedHosts: readonly string[];
  /** HOST, the listen address: allowed too unless it is a wildcard address. */
  listenHost: string;
}

const WILDCARD_ADDRESSES = new Set(['0.0.0.0', '::', '[::]']);

/**
 * The base URL put into download URLs and `repositoryUri`. With PUBLIC_URL, that. Otherwise the
 * request's own `Host`, but only a host this service was configured to be reached at: a client
 * cannot make Longshore hand out URLs on a host of its choosing. Anything else is refused with
 * an InvalidParameterException naming the settings, before any side effect.
 */
export function createPublicBaseUrl(options: PublicBaseUrlOptions): (req: Request) => string {
  if (options.publicUrl) {
    const fixed = options.publicUrl;
    return () => fixed;
  }
  const entries = [...options.allowedHosts];
  if (!WILDCARD_ADDRESSES.has(options.listenHost)) entries.push(options.listenHost);
  const anyHost = entries.includes('*');
  const names = new Set<string>();
  const hostPorts = new Set<string>();
  for (const entry of entries) {
    const parsed = parseHostHeader(isBareIpv6(entry) ? `[${entry}]` : entry);
    if (!parsed) continue;
    if (parsed.port === undefined) names.add(parsed.hostname);
    else hostPorts.add(`${parsed.hostname}:${parsed.port}`);
  }

  return (req) => {
    const raw = req.get('host');
    const host = raw === undefined ? undefined : parseHostHeader(raw);
    if (!raw || !host) {
      throw new RequestValidationError('The request has no valid Host header; set PUBLIC_URL on the service', 'Host');
    }
    const allowed =
      anyHost ||
      names.has(host.hostname) ||
      (host.port !== undefined && hostPorts.has(`${host.hostname}:${host.port}`));
    if (!allowed) {
      throw new RequestValidationError(
        `The Host '${raw}' is not one this service answers for; add it to ALLOWED_HOSTS or set PUBLIC_URL`,
        'Host',
      );
    }
    return `${req.protocol}://${raw.toLowerCase()}`;
  };
}

/** `::1` written without brackets in ALLOWED_HOSTS. */
function isBareIpv6(entry: string): boolean {
  return !entry.startsWith('[') && entry.split(':').length > 2;
}

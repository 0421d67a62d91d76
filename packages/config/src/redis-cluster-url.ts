/** Where a Redis Cluster is: some of its nodes (the client discovers the rest), credentials, TLS. */
export interface RedisClusterAddress {
  nodes: { host: string; port: number }[];
  username?: string;
  password?: string;
  tls: boolean;
}

const CLUSTER_URL = /^(rediss?)\+cluster:\/\/(?:([^@/]*)@)?([^/?#@]+)\/?$/;
const NODE = /^(?:\[([0-9A-Fa-f:.]+)\]|([A-Za-z0-9.-]+)):(\d{1,5})$/;

/** Whether `url` names a Redis Cluster (`redis+cluster://` or `rediss+cluster://`). */
export function isRedisClusterUrl(url: string): boolean {
  return /^rediss?\+cluster:/.test(url);
}

/** Parses one `host:port` (`[v6]:port` for IPv6); throws a message for the user. */
export function parseRedisNode(raw: string): { host: string; port: number } {
  const match = NODE.exec(raw.trim());
  const port = Number(match?.[3]);
  const host = match?.[1] ?? match?.[2];
  if (host === undefined || !(port >= 1 && port <= 65535)) {
    throw new Error(`must be host:port, got '${raw}'`);
  }
  return { host, port };
}

/**
 * Parses `redis+cluster://[user:password@]host:port,host:port,...` (`rediss+cluster://` for TLS).
 * WHATWG URLs cannot hold several hosts, hence this parser. Throws a message for the user.
 */
export function parseRedisClusterUrl(raw: string): RedisClusterAddress {
  const match = CLUSTER_URL.exec(raw);
  if (match === null) {
    throw new Error(`must be redis+cluster://[user:password@]host:port,host:port,..., got '${raw}'`);
  }
  const [, scheme, credentials, hosts = ''] = match;
  const address: RedisClusterAddress = {
    nodes: hosts.split(',').map((node) => parseRedisNode(node)),
    tls: scheme === 'rediss',
  };
  if (credentials !== undefined) {
    const colon = credentials.indexOf(':');
    const user = decodeURIComponent(colon === -1 ? credentials : credentials.slice(0, colon));
    if (user !== '') address.username = user;
    if (colon !== -1) address.password = decodeURIComponent(credentials.slice(colon + 1));
  }
  return address;
}

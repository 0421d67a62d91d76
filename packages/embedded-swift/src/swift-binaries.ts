import { readFileSync } from 'node:fs';
import { findExecutable } from '@longshore/embedded-process';

/** Where Debian puts system daemons' executables even when PATH leaves them out. */
const WELL_KNOWN_DIRS = ['/usr/bin', '/usr/sbin', '/usr/local/bin'];

/** The Debian packages that provide everything startEmbeddedSwift runs. */
export const SWIFT_OS_PACKAGES = ['swift-proxy', 'swift-account', 'swift-container', 'swift-object', 'memcached'];

/** The executables of one single-node Swift. */
export interface SwiftBinaries {
  proxy: string;
  account: string;
  container: string;
  object: string;
  memcached: string;
  /** The Python that runs Swift (from the servers' `#!` line); builds the rings. */
  python: string;
}

/** Every executable found, or the names of the missing ones. */
export type SwiftBinariesLookup = { found: SwiftBinaries } | { missing: string[] };

export function findSwiftBinaries(): SwiftBinariesLookup {
  const names = {
    proxy: 'swift-proxy-server',
    account: 'swift-account-server',
    container: 'swift-container-server',
    object: 'swift-object-server',
    memcached: 'memcached',
  } as const;
  const paths: Partial<Record<keyof typeof names, string>> = {};
  const missing: string[] = [];
  for (const [role, name] of Object.entries(names) as [keyof typeof names, string][]) {
    const path = findExecutable(name, WELL_KNOWN_DIRS);
    if (path === undefined) missing.push(name);
    else paths[role] = path;
  }
  const { proxy, account, container, object, memcached } = paths;
  if (proxy === undefined || account === undefined || container === undefined || object === undefined)
    return { missing };
  const python = interpreterOf(proxy);
  if (python === undefined) missing.push(`the Python interpreter named in ${proxy}`);
  if (memcached === undefined || python === undefined) return { missing };
  return { found: { proxy, account, container, object, memcached, python } };
}

/** The interpreter of a `#!` script, when it names an executable. */
function interpreterOf(script: string): string | undefined {
  const firstLine = readFileSync(script, 'latin1').split('\n', 1)[0] ?? '';
  const match = /^#!\s*(\S+)/.exec(firstLine);
  return match?.[1] === undefined ? undefined : findExecutable(match[1], WELL_KNOWN_DIRS);
}

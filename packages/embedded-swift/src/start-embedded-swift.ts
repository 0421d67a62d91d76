import { mkdir, writeFile } from 'node:fs/promises';
import { userInfo } from 'node:os';
import { join, resolve } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import {
  createOutputTail,
  ensureOsPackages,
  findFreePort,
  type OutputTail,
  type SupervisedChild,
  saysPortInUse,
  startChild,
} from '@longshore/embedded-process';
import { buildRings } from './build-rings.js';
import { accepts, httpStatus } from './probe.js';
import { SWIFT_OS_PACKAGES, type SwiftBinaries, findSwiftBinaries } from './swift-binaries.js';
import {
  type BackendServer,
  backendServerConf,
  DEVICE_NAME,
  proxyServerConf,
  type SwiftLayout,
} from './swift-config-files.js';
import { SwiftNotFoundError } from './swift-not-found-error.js';
import { SwiftStartError } from './swift-start-error.js';

export interface EmbeddedSwiftOptions {
  /** Holds the config, the rings and the stored objects; created if missing. Must support xattrs. */
  dataDir: string;
  /** Address every server binds; default 127.0.0.1. */
  host?: string;
  /** The region s3api reports; default us-east-1. */
  region?: string;
  /** Install the Debian packages when they are missing (only as root with apt-get); default true. */
  install?: boolean;
  /** Receives every output line, prefixed with the process name; default: discarded. */
  log?: (line: string) => void;
}

/** A running single-node Swift whose proxy speaks the S3 API. */
export interface EmbeddedSwift {
  /** `http://host:port` of the S3 API (path-style addressing). */
  readonly endpoint: string;
  readonly region: string;
  /** S3 credentials (tempauth `account:user` and its key); signatures are checked. */
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
  /** Stops every process (SIGTERM, SIGKILL after 10 s). Idempotent. */
  stop(): Promise<void>;
}

// Generous: four Python servers importing Swift need a few CPU-seconds, and a shared CI host may be busy.
const READY_TIMEOUT_MS = 120_000;
const POLL_INTERVAL_MS = 50;
const PORT_ATTEMPTS = 3;
const OUTPUT_TAIL_LINES = 30;

/**
 * Starts OpenStack Swift as one replica on one device (a directory under `dataDir`): memcached,
 * the account, container and object servers and the proxy with the s3api middleware, each a
 * single process on a free loopback port. Resolves once the proxy and every server answer HTTP.
 * Runs as root or as any user: the servers "drop privileges" to the current user.
 */
export async function startEmbeddedSwift(options: EmbeddedSwiftOptions): Promise<EmbeddedSwift> {
  const log = options.log ?? (() => {});
  let lookup = findSwiftBinaries();
  if ('missing' in lookup && (options.install ?? true)) {
    // One requirement per package, all judged by whether a whole Swift node can now be found.
    const present = () => !('missing' in findSwiftBinaries());
    await ensureOsPackages(
      SWIFT_OS_PACKAGES.map((name) => ({ package: name, present })),
      log,
    );
    lookup = findSwiftBinaries();
  }
  if ('missing' in lookup) throw new SwiftNotFoundError(lookup.missing);
  const host = options.host ?? '127.0.0.1';
  const dataDir = resolve(options.dataDir);
  for (let attempt = 1; ; attempt += 1) {
    // Picked ports may be taken before the servers bind them: try others.
    const ports = {
      proxy: await findFreePort(host),
      account: await findFreePort(host),
      container: await findFreePort(host),
      object: await findFreePort(host),
      memcached: await findFreePort(host),
    };
    const layout: SwiftLayout = {
      host,
      swiftDir: join(dataDir, `attempt-${attempt}`),
      devicesDir: join(dataDir, `attempt-${attempt}`, 'devices'),
      user: userInfo().username,
      ports,
      credentials: { account: 'longshore', user: 'tester', key: 'longshore-secret' },
      region: options.region ?? 'us-east-1',
    };
    try {
      return await launch(lookup.found, layout, log);
    } catch (error) {
      if (!(error instanceof SwiftStartError && error.portInUse) || attempt >= PORT_ATTEMPTS) throw error;
    }
  }
}

async function launch(
  binaries: SwiftBinaries,
  layout: SwiftLayout,
  log: (line: string) => void,
): Promise<EmbeddedSwift> {
  const deviceDir = join(layout.devicesDir, DEVICE_NAME);
  await mkdir(deviceDir, { recursive: true });
  const backends: BackendServer[] = ['account', 'container', 'object'];
  await Promise.all([
    ...backends.map((server) =>
      writeFile(join(layout.swiftDir, `${server}-server.conf`), backendServerConf(server, layout)),
    ),
    writeFile(join(layout.swiftDir, 'proxy-server.conf'), proxyServerConf(layout)),
    buildRings(binaries.python, layout, deviceDir),
  ]);

  const output = createOutputTail(OUTPUT_TAIL_LINES, log);
  const run = (name: string, command: string, args: readonly string[]): SupervisedChild =>
    startChild(command, args, { name, onLine: (line) => output.onLine(`${name}: ${line}`) });
  const { host, ports } = layout;
  const memcachedArgs = ['-l', host, '-p', String(ports.memcached), '-U', '0', '-m', '16'];
  if (process.getuid?.() === 0) memcachedArgs.push('-u', 'root'); // memcached refuses root otherwise
  const children: SupervisedChild[] = [
    run('memcached', binaries.memcached, memcachedArgs),
    ...backends.map((server) =>
      run(`${server}-server`, binaries[server], [join(layout.swiftDir, `${server}-server.conf`), '-v']),
    ),
    run('proxy-server', binaries.proxy, [join(layout.swiftDir, 'proxy-server.conf'), '-v']),
  ];
  const stopAll = async (): Promise<void> => {
    await Promise.all(children.map((child) => child.stop()));
  };

  try {
    await waitUntilReady(log, layout, children, output);
  } catch (error) {
    await stopAll();
    throw error;
  }
  const { account, user, key } = layout.credentials;
  let stopping: Promise<void> | undefined;
  return {
    endpoint: `http://${host.includes(':') ? `[${host}]` : host}:${ports.proxy}`,
    region: layout.region,
    accessKeyId: `${account}:${user}`,
    secretAccessKey: key,
    stop: () => (stopping ??= stopAll()),
  };
}

async function waitUntilReady(
  log: (line: string) => void,
  layout: SwiftLayout,
  children: readonly SupervisedChild[],
  output: OutputTail,
): Promise<void> {
  const { host, ports } = layout;
  const checks: { name: string; ready: () => Promise<boolean> }[] = [
    { name: 'memcached', ready: () => accepts(host, ports.memcached) },
    // Any HTTP answer means the server has loaded its app and is serving.
    { name: 'account-server', ready: async () => (await httpStatus(host, ports.account, '/')) !== undefined },
    { name: 'container-server', ready: async () => (await httpStatus(host, ports.container, '/')) !== undefined },
    { name: 'object-server', ready: async () => (await httpStatus(host, ports.object, '/')) !== undefined },
    { name: 'proxy-server', ready: async () => (await httpStatus(host, ports.proxy, '/healthcheck')) === 200 },
  ];
  const started = Date.now();
  const deadline = started + READY_TIMEOUT_MS;
  let pending = checks;
  for (;;) {
    const ended = children.find((child) => child.exitStatus() !== undefined);
    if (ended !== undefined) {
      // Let the rest of its output arrive: it says why.
      await ended.exited;
      throw new SwiftStartError(
        `Swift's ${ended.name} ${ended.exitStatus()} while starting`,
        output.lines(),
        saysPortInUse(output.lines()),
      );
    }
    const results = await Promise.all(pending.map((check) => check.ready()));
    for (const [index, check] of pending.entries())
      if (results[index]) log(`${check.name} ready after ${Date.now() - started} ms`);
    pending = pending.filter((_, index) => !results[index]);
    if (pending.length === 0) return;
    if (Date.now() >= deadline) {
      const names = pending.map((check) => check.name).join(', ');
      throw new SwiftStartError(
        `Swift's ${names} did not answer within ${READY_TIMEOUT_MS / 1000} s`,
        output.lines(),
        false,
      );
    }
    await delay(POLL_INTERVAL_MS);
  }
}

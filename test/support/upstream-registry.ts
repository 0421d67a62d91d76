import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import http from 'node:http';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import bcrypt from 'bcryptjs';
import { findTool, peerRegistryTool } from './shared-tools.js';

/**
 * The upstream registry of the pull-through cache tests: CNCF distribution v3 (`registry-3`),
 * found through BENCH_PEER_REGISTRY or at ../shared/bin/registry-3. Absent: why, in one sentence
 * naming the setting (the tests then report themselves as not run).
 */
export async function upstreamRegistryBinary(): Promise<
  { path: string; absent?: undefined } | { path?: undefined; absent: string }
> {
  return findTool(peerRegistryTool);
}

export interface UpstreamRegistry {
  /** `127.0.0.1:<port>` */
  host: string;
  url: string;
  /** The access log's request lines so far (`GET /v2/... HTTP/1.1" 200`). */
  accessLog(): string[];
  /** How many GETs of the blob were answered 200 so far. */
  blobGets(digest: string): number;
  /** SIGSTOP: the process stops answering (connections hang), as an overloaded or cut-off upstream. */
  pause(): void;
  /** SIGCONT. */
  resume(): void;
  stop(): Promise<void>;
}

export interface UpstreamOptions {
  /** Basic authentication (htpasswd, bcrypt) with this one user. */
  basicAuth?: { username: string; password: string };
}

export async function freePort(): Promise<number> {
  const server = net.createServer();
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as net.AddressInfo;
  server.close();
  await once(server, 'close');
  return port;
}

/** Starts registry-3 on a loopback port with filesystem storage in a fresh directory. */
export async function startUpstreamRegistry(options: UpstreamOptions = {}): Promise<UpstreamRegistry> {
  const found = await upstreamRegistryBinary();
  if (found.path === undefined) throw new Error(`the upstream registry is absent: ${found.absent}`);
  const binary = found.path;
  const dir = await mkdtemp(path.join(os.tmpdir(), 'longshore-upstream-'));
  const port = await freePort();
  const lines: string[] = [];
  const config = [
    'version: 0.1',
    'log:',
    '  level: info',
    'storage:',
    '  filesystem:',
    `    rootdirectory: ${JSON.stringify(path.join(dir, 'storage'))}`,
    '  delete:',
    '    enabled: true',
    'http:',
    `  addr: 127.0.0.1:${port}`,
    '  secret: longshore-upstream-test',
  ];
  if (options.basicAuth) {
    const file = path.join(dir, 'htpasswd');
    const hash = await bcrypt.hash(options.basicAuth.password, 10);
    await writeFile(file, `${options.basicAuth.username}:${hash}\n`);
    config.push('auth:', '  htpasswd:', '    realm: upstream', `    path: ${JSON.stringify(file)}`);
  }
  const configFile = path.join(dir, 'config.yml');
  await writeFile(configFile, `${config.join('\n')}\n`);
  const child: ChildProcess = spawn(binary, ['serve', configFile], {
    env: { PATH: process.env.PATH ?? '/usr/bin:/bin', OTEL_TRACES_EXPORTER: 'none', OTEL_SDK_DISABLED: 'true' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const killOnExit = () => child.kill('SIGKILL');
  process.once('exit', killOnExit);
  let pending = '';
  const collect = (chunk: Buffer) => {
    pending += chunk.toString('utf8');
    const parts = pending.split('\n');
    pending = parts.pop() ?? '';
    for (const line of parts) if (line.includes('" ') && line.includes(' HTTP/')) lines.push(line);
  };
  child.stdout?.on('data', collect);
  let startupLog = '';
  const listening = new Promise<void>((resolve, reject) => {
    const onData = (chunk: Buffer) => {
      startupLog = (startupLog + chunk.toString('utf8')).slice(-4000);
      if (startupLog.includes(`listening on 127.0.0.1:${port}`)) resolve();
    };
    child.stderr?.on('data', (chunk: Buffer) => {
      onData(chunk);
      collect(chunk);
    });
    child.once('exit', (code) => reject(new Error(`registry-3 exited (code ${code}): ${startupLog.slice(-500)}`)));
    child.once('error', reject);
  });
  await listening;
  const stop = async () => {
    process.off('exit', killOnExit);
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGCONT');
      const exited = once(child, 'exit');
      child.kill('SIGKILL');
      await exited;
    }
    await rm(dir, { recursive: true, force: true });
  };
  return {
    host: `127.0.0.1:${port}`,
    url: `http://127.0.0.1:${port}`,
    accessLog: () => [...lines],
    blobGets: (digest) =>
      lines.filter((l) => l.includes(`"GET /v2/`) && l.includes(`/blobs/${digest} `) && / 200 /.test(l)).length,
    pause: () => child.kill('SIGSTOP'),
    resume: () => child.kill('SIGCONT'),
    stop,
  };
}

// skopeoCopy lives in skopeo.ts; the pull-through tests take it from here too.
export { skopeoCopy } from './skopeo.js';

export interface FrontProxy {
  url: string;
  host: string;
  /** Requests the proxy forwarded (method and path). */
  forwarded: string[];
  close(): Promise<void>;
}

/**
 * A proxy in front of an upstream registry, for what registry-3 cannot do with a built-in
 * configuration: flipping one byte of a blob's body (`corrupt`: the digest whose bytes to flip),
 * and the bearer-token challenge flow (`bearer`: a token service at `/token` that hands a token to
 * these Basic credentials, and a 401 `WWW-Authenticate: Bearer realm=…` for any /v2 request
 * without it).
 */
export async function startFrontProxy(
  upstream: string,
  options: { corrupt?: string; bearer?: { username: string; password: string } },
): Promise<FrontProxy> {
  const forwarded: string[] = [];
  const token = `token-${Math.random().toString(36).slice(2)}`;
  const port = await freePort();
  const server = http.createServer((req, res) => {
    const url = req.url ?? '/';
    if (options.bearer && url.startsWith('/token')) {
      const expected = `Basic ${Buffer.from(`${options.bearer.username}:${options.bearer.password}`).toString('base64')}`;
      const query = new URL(url, 'http://x').searchParams;
      if (req.headers.authorization !== expected || query.get('service') !== 'front-proxy') {
        res.writeHead(401).end();
        return;
      }
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ token, expires_in: 300 }));
      return;
    }
    if (options.bearer && req.headers.authorization !== `Bearer ${token}`) {
      res
        .writeHead(401, {
          'www-authenticate': `Bearer realm="http://127.0.0.1:${port}/token",service="front-proxy",scope="repository:x:pull"`,
          'content-type': 'application/json',
        })
        .end('{"errors":[{"code":"UNAUTHORIZED"}]}');
      return;
    }
    forwarded.push(`${req.method} ${url}`);
    const target = new URL(url, upstream);
    const headers = { ...req.headers, host: target.host };
    delete headers.authorization;
    const forward = http.request(target, { method: req.method, headers }, (answer) => {
      res.writeHead(answer.statusCode ?? 502, answer.headers);
      const flip = options.corrupt !== undefined && url.endsWith(`/blobs/${options.corrupt}`) && req.method === 'GET';
      let first = true;
      answer.on('data', (chunk: Buffer) => {
        if (flip && first && chunk.length > 0) {
          chunk = Buffer.from(chunk);
          chunk[0] = chunk[0]! ^ 0xff;
        }
        first = false;
        res.write(chunk);
      });
      answer.on('end', () => res.end());
    });
    forward.on('error', () => res.destroy());
    req.pipe(forward);
  });
  server.listen(port, '127.0.0.1');
  await once(server, 'listening');
  return {
    url: `http://127.0.0.1:${port}`,
    host: `127.0.0.1:${port}`,
    forwarded,
    close: async () => {
      server.closeAllConnections();
      server.close();
      await once(server, 'close').catch(() => undefined);
    },
  };
}

import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { mkdtemp, writeFile } from 'node:fs/promises';
import net from 'node:net';
import path from 'node:path';
import { discardAtEnd } from './data-trash.js';

/**
 * The reference registry the issue measures Longshore against: a CNCF distribution binary
 * (`BENCH_PEER_REGISTRY`, e.g. registry v3.0.0), started for one scenario run with filesystem
 * storage in a fresh temp directory on a free loopback port, and stopped (directory deleted)
 * after it.
 */
export interface PeerRegistry {
  endpoint: URL;
  pid: number;
  /** Whether it exited while it should have been serving, and how. */
  unexpectedExit(): string | undefined;
  stop(): Promise<void>;
}

const READY_TIMEOUT_MS = 30_000;
const STOP_TIMEOUT_MS = 10_000;

async function freePort(): Promise<number> {
  const server = net.createServer();
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as net.AddressInfo;
  server.close();
  await once(server, 'close');
  return port;
}

/** The registry's configuration: filesystem storage, no redirects, no access log, quiet. */
function config(rootDirectory: string, port: number): string {
  return [
    'version: 0.1',
    'log:',
    '  level: info', // the "listening on" line is info
    '  accesslog:',
    '    disabled: true',
    'storage:',
    '  filesystem:',
    `    rootdirectory: ${JSON.stringify(rootDirectory)}`,
    '  delete:',
    '    enabled: true',
    '  redirect:',
    '    disable: true',
    'http:',
    `  addr: 127.0.0.1:${port}`,
    '  secret: longshore-bench-peer',
    '',
  ].join('\n');
}

export async function startPeerRegistry(binary: string, dataRoot: string): Promise<PeerRegistry> {
  const dir = await mkdtemp(path.join(dataRoot, 'peer-registry-'));
  let child: ChildProcess | undefined;
  let stopping = false;
  let exit: string | undefined;
  const stop = async () => {
    stopping = true;
    if (child && child.exitCode === null && child.signalCode === null) {
      const exited = once(child, 'exit');
      child.kill('SIGTERM');
      const timer = setTimeout(() => child?.kill('SIGKILL'), STOP_TIMEOUT_MS);
      await exited;
      clearTimeout(timer);
    }
    await discardAtEnd(dir);
  };
  try {
    const port = await freePort();
    const file = path.join(dir, 'config.yml');
    await writeFile(file, config(path.join(dir, 'storage'), port));
    // Only what it needs: no REGISTRY_* overrides from this environment, no trace exporter.
    child = spawn(binary, ['serve', file], {
      env: { PATH: process.env.PATH ?? '/usr/bin:/bin', OTEL_TRACES_EXPORTER: 'none', OTEL_SDK_DISABLED: 'true' },
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    const started = child;
    const killOnExit = () => started.kill('SIGKILL');
    process.once('exit', killOnExit);
    started.once('exit', (code, signal) => {
      process.off('exit', killOnExit);
      if (!stopping) exit = `registry (pid ${started.pid}) exited ${signal ? `by ${signal}` : `with code ${code}`}`;
    });
    await listening(started, port);
    return {
      endpoint: new URL(`http://127.0.0.1:${port}`),
      pid: started.pid!,
      unexpectedExit: () => exit,
      stop,
    };
  } catch (error) {
    await stop().catch(() => undefined);
    throw error;
  }
}

/** Resolves when the registry logs that it listens on `port`; its log is dropped after that. */
function listening(child: ChildProcess, port: number): Promise<void> {
  return new Promise((resolve, reject) => {
    let seen = '';
    const timer = setTimeout(
      () => fail(new Error(`the peer registry did not listen within ${READY_TIMEOUT_MS / 1000} s`)),
      READY_TIMEOUT_MS,
    );
    const onData = (chunk: Buffer) => {
      seen = (seen + chunk.toString('utf8')).slice(-4000);
      if (seen.includes(`listening on 127.0.0.1:${port}`)) {
        cleanup();
        child.stderr?.resume(); // keep draining, unread
        resolve();
      }
    };
    const onExit = (code: number | null) =>
      fail(new Error(`the peer registry exited (code ${code}): ${seen.slice(-500)}`));
    const onError = (error: Error) => fail(new Error(`the peer registry did not start: ${error.message}`));
    const cleanup = () => {
      clearTimeout(timer);
      child.stderr?.off('data', onData);
      child.off('exit', onExit);
      child.off('error', onError);
    };
    const fail = (error: Error) => {
      cleanup();
      reject(error);
    };
    child.stderr?.on('data', onData);
    child.once('exit', onExit);
    child.once('error', onError);
  });
}

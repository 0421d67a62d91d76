import { readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { once } from 'node:events';
import http from 'node:http';
import https from 'node:https';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterEach, expect, it } from 'vitest';
import { startLauncher, type LauncherRun } from '../support/launcher-harness.js';
import { socketHolders } from '../support/socket-holders.js';
import { makeCertificates } from '../support/test-certificates.js';

/**
 * The launcher owns the API port and hands each connection to the API process with the fewest
 * open connections (ties in turn), so a few long connections (four CI jobs pushing 1 GiB layers)
 * are spread over the processes instead of going to whichever accepts first.
 */
const CONNECTIONS = 16;

let run: LauncherRun | undefined;
let work: string | undefined;
afterEach(async () => {
  await run?.close();
  run = undefined;
  if (work) await rm(work, { recursive: true, force: true });
  work = undefined;
});

interface Answer {
  status: number;
  localPort: number;
  reusedSocket: boolean;
  encrypted: boolean;
}

/** One GET on the agent's connection (a keep-alive agent of one socket: always the same connection). */
function get(url: string, agent: http.Agent): Promise<Answer> {
  const client = url.startsWith('https:') ? https : http;
  return new Promise((resolve, reject) => {
    const request = client.get(url, { agent }, (response) => {
      response.resume();
      response.on('end', () =>
        resolve({
          status: response.statusCode ?? 0,
          localPort: request.socket!.localPort!,
          reusedSocket: request.reusedSocket,
          encrypted: 'encrypted' in request.socket! && Boolean(request.socket.encrypted),
        }),
      );
      response.on('error', reject);
    });
    request.on('error', reject);
  });
}

/** One GET /healthz on a new connection: answered, or how it failed. */
function probe(endpoint: string): Promise<string> {
  return new Promise((resolve) => {
    const request = http.get(`${endpoint}/healthz`, { agent: false, timeout: 20_000 }, (response) => {
      response.resume();
      response.on('end', () => resolve('answered'));
    });
    request.on('timeout', () => {
      request.destroy();
      resolve('lost');
    });
    request.on('error', (error: NodeJS.ErrnoException) => resolve(`failed: ${error.code ?? error.message}`));
  });
}

it('splits idle keep-alive connections opened one after another evenly over the API processes', async () => {
  run = await startLauncher({ env: { API_PROCESSES: '2', WORKER_PROCESSES: '1' } });
  const serverPort = Number(new URL(run.endpoint).port);
  const apis = [run.pidOf('api-1'), run.pidOf('api-2')];
  const agents: http.Agent[] = [];
  // After each new connection, how many of the connections so far each API process holds.
  const counts = [0, 0];
  const steps: string[] = [];
  try {
    for (let i = 0; i < CONNECTIONS; i++) {
      const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
      agents.push(agent);
      const answer = await get(`${run.endpoint}/healthz`, agent);
      expect(answer.status).toBe(200);
      // The connection stays open (idle in its agent): which API process holds it?
      const holders = socketHolders(serverPort, [answer.localPort], apis).get(answer.localPort)!;
      expect(holders, `connection ${i + 1}'s holders`).toHaveLength(1);
      counts[apis.indexOf(holders[0]!)]! += 1;
      steps.push(counts.join(':'));
    }
    console.log(`${CONNECTIONS} connections one after another, api-1:api-2 after each: ${steps.join(' ')}`);
    // Fewest open connections first: never more than one apart. (Accepting from a shared socket,
    // the kernel gives a connection to whichever process accepts first: runs of one process.)
    for (const step of steps) {
      const [a, b] = step.split(':').map(Number);
      expect(Math.abs(a! - b!), `api-1:api-2 went ${steps.join(' ')}`).toBeLessThanOrEqual(1);
    }
    expect(counts).toEqual([CONNECTIONS / 2, CONNECTIONS / 2]);
  } finally {
    for (const agent of agents) agent.destroy();
  }
}, 120_000);

it('keeps a connection that arrives while no API process is up until one is, then serves it', async () => {
  run = await startLauncher({ env: { API_PROCESSES: '1', WORKER_PROCESSES: '1' } });
  const launcher = run;
  const mark = launcher.lines.length;
  process.kill(launcher.pidOf('api-1'), 'SIGKILL');
  await launcher.waitForLine((line) => line.msg === 'process died; restarting' && launcher.lines.indexOf(line) >= mark);
  // The only API process is dead: the launcher holds the connection until its restart is ready.
  const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
  try {
    const answer = await get(`${launcher.endpoint}/healthz`, agent);
    expect(answer.status).toBe(200);
    // Served by the restarted process.
    await launcher.waitForLine(
      (line) => line.msg === 'process ready' && line.process === 'api-1' && launcher.lines.indexOf(line) >= mark,
    );
  } finally {
    agent.destroy();
  }
}, 120_000);

it('hands nothing to an API process that is draining (SIGTERM): new connections go to the other', async () => {
  run = await startLauncher({ env: { API_PROCESSES: '2', WORKER_PROCESSES: '1' } });
  const launcher = run;
  const serverPort = Number(new URL(launcher.endpoint).port);
  const apis = [launcher.pidOf('api-1'), launcher.pidOf('api-2')];
  // A request whose body never comes keeps its connection active, so the process it reached
  // drains (finishing its requests) until the test ends the connection.
  const holder = net.connect(serverPort, '127.0.0.1');
  await once(holder, 'connect');
  holder.write('GET /healthz HTTP/1.1\r\nHost: localhost\r\nContent-Length: 100\r\n\r\n');
  await once(holder, 'data');
  const [draining] = socketHolders(serverPort, [holder.localPort!], apis).get(holder.localPort!)!;
  expect(apis).toContain(draining);
  const other = apis.find((pid) => pid !== draining)!;
  const mark = launcher.lines.length;
  process.kill(draining!, 'SIGTERM');
  await launcher.waitForLine(
    (line) =>
      line.msg === 'stopping: letting active work finish' &&
      line.name === 'longshore-api' &&
      launcher.lines.indexOf(line) >= mark,
  );
  const agents: http.Agent[] = [];
  try {
    for (let i = 0; i < 6; i++) {
      const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
      agents.push(agent);
      const answer = await get(`${launcher.endpoint}/healthz`, agent);
      expect(answer.status).toBe(200);
      expect(socketHolders(serverPort, [answer.localPort], apis).get(answer.localPort)).toEqual([other]);
    }
    // Still draining (its request open) all along: the test did exercise the path.
    expect(() => process.kill(draining!, 0)).not.toThrow();
  } finally {
    for (const agent of agents) agent.destroy();
    holder.destroy();
  }
}, 120_000);

it('answers every connection that arrives as an API process starts draining (those it was sent go to the other)', async () => {
  run = await startLauncher({ env: { API_PROCESSES: '2', WORKER_PROCESSES: '1' } });
  const launcher = run;
  const serverPort = Number(new URL(launcher.endpoint).port);
  const outcomes: string[] = [];
  for (let round = 0; round < 4; round++) {
    // Requests whose bodies never come keep both processes' drains going while connections arrive.
    const holders: net.Socket[] = [];
    for (let i = 0; i < 4; i++) {
      const holder = net.connect(serverPort, '127.0.0.1');
      await once(holder, 'connect');
      holder.write('GET /healthz HTTP/1.1\r\nHost: localhost\r\nContent-Length: 100\r\n\r\n');
      await once(holder, 'data');
      holders.push(holder);
    }
    const name = `api-${(round % 2) + 1}`;
    const pid = launcher.pidOf(name);
    const mark = launcher.lines.length;
    // SIGTERM while 200 new connections are being handed out: some are sent to the process before
    // the launcher hears it drains; it hands those back unread and the other process answers them.
    const probes = Promise.all(Array.from({ length: 200 }, () => probe(launcher.endpoint)));
    setTimeout(() => process.kill(pid, 'SIGTERM'), round * 3);
    outcomes.push(...(await probes));
    for (const holder of holders) holder.destroy();
    await launcher.waitForLine(
      (line) => line.msg === 'process ready' && line.process === name && launcher.lines.indexOf(line) >= mark,
    );
  }
  expect(outcomes.filter((o) => o !== 'answered')).toEqual([]);
}, 120_000);

it('serves a handed-over connection for as long as it is kept open, plain HTTP', async () => {
  run = await startLauncher({ env: { API_PROCESSES: '2', WORKER_PROCESSES: '1' } });
  await expectOneConnectionServes(`${run.endpoint}/healthz`, new http.Agent({ keepAlive: true, maxSockets: 1 }), false);
}, 120_000);

it('serves a handed-over connection for as long as it is kept open, over TLS (TLS_CERT_FILE)', async () => {
  work = await mkdtemp(path.join(os.tmpdir(), 'longshore-handover-tls-'));
  // A CA of the test's own and a certificate it signed for localhost and 127.0.0.1.
  const certificates = makeCertificates(work, 'handover');
  run = await startLauncher({
    env: {
      API_PROCESSES: '2',
      WORKER_PROCESSES: '1',
      TLS_CERT_FILE: certificates.cert,
      TLS_KEY_FILE: certificates.key,
    },
  });
  expect(run.endpoint).toMatch(/^https:/);
  const agent = new https.Agent({
    keepAlive: true,
    maxSockets: 1,
    ca: readFileSync(certificates.ca),
    servername: 'localhost',
  });
  await expectOneConnectionServes(`${run.endpoint}/healthz`, agent, true);
}, 120_000);

/** Several requests in turn on one connection: each answered, all on the same (reused) connection. */
async function expectOneConnectionServes(url: string, agent: http.Agent, encrypted: boolean): Promise<void> {
  try {
    const answers: Answer[] = [];
    for (let i = 0; i < 5; i++) answers.push(await get(url, agent));
    expect(answers.map((a) => a.status)).toEqual([200, 200, 200, 200, 200]);
    expect(answers.map((a) => a.reusedSocket)).toEqual([false, true, true, true, true]);
    expect(new Set(answers.map((a) => a.localPort)).size).toBe(1);
    expect(answers.every((a) => a.encrypted === encrypted)).toBe(true);
  } finally {
    agent.destroy();
  }
}

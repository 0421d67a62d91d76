import { once } from 'node:events';
import http from 'node:http';
import { tmpdir } from 'node:os';
import { type LocalService, startLocalService } from '@longshore/bench';
import { loadConfig } from '@longshore/config';
import { afterEach, describe, expect, it } from 'vitest';
import { parsePrometheusText } from '../support/prometheus-text.js';

/** One request on a connection of its own (no keep-alive agent), so each one is a new connection. */
async function getOnNewConnection(endpoint: URL, path: string): Promise<number> {
  const req = http.request(new URL(path, endpoint), { agent: false, headers: { connection: 'close' } });
  req.end();
  const [res] = (await once(req, 'response')) as [http.IncomingMessage];
  res.resume();
  await once(res, 'end');
  return res.statusCode ?? 0;
}

/** Requests one API process counted (longshore_api_requests_total, every operation and outcome). */
async function requestsServed(metricsPort: number): Promise<number> {
  const res = await fetch(`http://127.0.0.1:${metricsPort}/metrics`);
  const scrape = parsePrometheusText(await res.text());
  return scrape.samples.filter((s) => s.name === 'longshore_api_requests_total').reduce((sum, s) => sum + s.value, 0);
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/**
 * The bench's service runs the API as `npm start` does: API_PROCESSES API processes under a
 * primary holding the port and handing them its connections, every one of them measured (pids) and the connections spread over them.
 */
describe("the bench's local service", () => {
  let service: LocalService | undefined;
  afterEach(async () => {
    await service?.stop();
    service = undefined;
  });

  it("runs the service's default number of API processes under a cluster primary, and connections reach each", async () => {
    service = await startLocalService({ baseEnv: {}, env: {}, dataRoot: tmpdir(), workers: 1, auth: 'off' });
    const processes = loadConfig({}).apiProcesses;
    expect(processes).toBeGreaterThan(1);
    const names = Array.from({ length: processes }, (_, i) => `api-${i + 1}`);
    expect(service.apis.map((a) => a.name)).toEqual(names);
    expect(Object.keys(service.pids).sort()).toEqual(['api-primary', ...names, 'redis', 'worker'].sort());
    const pids = new Set(Object.values(service.pids));
    expect(pids.size).toBe(Object.keys(service.pids).length);
    for (const pid of pids) expect(alive(pid)).toBe(true);

    // Sixteen connections, one request each: the primary hands them out, so every API process serves some.
    for (let i = 0; i < 16; i += 1) expect(await getOnNewConnection(service.endpoint, '/v2/')).toBe(200);
    const served = await Promise.all(service.apis.map((a) => requestsServed(a.metricsPort)));
    expect(served.reduce((a, b) => a + b, 0)).toBeGreaterThanOrEqual(16);
    for (const count of served) expect(count).toBeGreaterThan(0);

    const stopping = service;
    service = undefined;
    await stopping.stop();
    for (const pid of pids) expect(alive(pid)).toBe(false);
  });

  it('honours API_PROCESSES, and reports an API process that dies as an unexpected exit', async () => {
    service = await startLocalService({
      baseEnv: { API_PROCESSES: '1' },
      env: {},
      dataRoot: tmpdir(),
      workers: 1,
      auth: 'off',
    });
    expect(service.apis.map((a) => a.name)).toEqual(['api-1']);
    expect(await getOnNewConnection(service.endpoint, '/v2/')).toBe(200);
    expect(service.unexpectedExits()).toEqual([]);

    const primary = service.processes['api-primary']!;
    const primaryExited = once(primary, 'exit');
    process.kill(service.pids['api-1']!, 'SIGKILL');
    await primaryExited;
    expect(service.unexpectedExits()).toEqual([expect.stringMatching(/^api-primary \(pid \d+\) exited with code 1$/)]);
    expect(service.log.lastLines().join('\n')).toMatch(/api-1 \(pid \d+\) exited by SIGKILL/);
  });
});

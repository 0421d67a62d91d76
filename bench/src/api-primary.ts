import { type ChildProcess, fork } from 'node:child_process';
import path from 'node:path';
import { loadConfig } from '@longshore/config';
import { CONNECTIONS_FROM_LAUNCHER, ConnectionBalancer, createLogger } from '@longshore/telemetry';

/**
 * The bench's stand-in for the launcher's API part (apps/launcher main.ts): forked by
 * local-service.ts as `api-primary.js <api entry> <processes> [cpu profile dir]`, it holds
 * the API's port (HOST, PORT) and runs that many API processes, handing each connection to one of
 * them with the launcher's own ConnectionBalancer (packages/telemetry), as `npm start` does. It
 * tells the bench once every API process is ready, with their pids, relays messages between the
 * bench and the API processes (`npm run trace`), and exits 1 if one of them dies while it should
 * serve (the bench records that as an unexpected exit). SIGTERM stops them all.
 */
export interface ApiPrimaryListening {
  type: 'listening';
  port: number;
  /** Each API process: its name (`api-1`, …), pid and operations port. */
  apis: { name: string; pid: number; metricsPort: number }[];
}

const [apiEntry, processesArg, cpuProfileDir] = process.argv.slice(2);
const processes = Number(processesArg);
if (!apiEntry || !Number.isInteger(processes) || processes < 1) {
  console.error('usage: api-primary.js <api entry> <processes ≥ 1> [cpu profile dir]');
  process.exit(2);
}

const config = loadConfig(process.env);
const log = createLogger({ name: 'api-primary', level: config.logLevel, format: config.logFormat });
const balancer = new ConnectionBalancer({ log });
const port = await balancer.listen(config.port, config.host, 'PORT (and HOST)');

let stopping = false;
const children: ChildProcess[] = [];
const listening = new Map<ChildProcess, number>();

for (let i = 1; i <= processes; i += 1) {
  const name = `api-${i}`;
  const child = fork(apiEntry, [CONNECTIONS_FROM_LAUNCHER], {
    execArgv: cpuProfileDir ? ['--cpu-prof', `--cpu-prof-dir=${path.join(cpuProfileDir, name)}`] : [],
    stdio: 'inherit',
  });
  children.push(child);
  child.on('message', (message: { type?: string; metricsPort?: number }) => {
    if (message?.type !== 'listening') {
      // The balancer's own reports stay here; anything else (trace coverage) goes to the bench.
      if (!String(message?.type).startsWith('longshore:')) process.send?.(message);
      if (message?.type === 'start-failed') process.exit(1);
      return;
    }
    listening.set(child, Number(message.metricsPort));
    balancer.add(name, child);
    if (listening.size < processes) return;
    const apis = children.map((c, index) => ({
      name: `api-${index + 1}`,
      pid: c.pid!,
      metricsPort: listening.get(c)!,
    }));
    process.send?.({ type: 'listening', port, apis } satisfies ApiPrimaryListening);
  });
  child.on('exit', (code, signal) => {
    if (stopping) {
      if (children.every((c) => c.exitCode !== null || c.signalCode !== null)) process.exit(0);
      return;
    }
    console.error(`${name} (pid ${child.pid}) exited ${signal ? `by ${signal}` : `with code ${code}`}`);
    process.exit(1);
  });
}

// The bench's messages (e.g. `trace-coverage-take`) go to every API process.
process.on('message', (message) => {
  for (const child of children) if (child.connected) child.send(message as object);
});

const stopAll = () => {
  stopping = true;
  balancer.close();
  const running = children.filter((c) => c.exitCode === null && c.signalCode === null);
  if (running.length === 0) process.exit(0);
  for (const child of running) child.kill('SIGTERM');
};
process.on('SIGTERM', stopAll);
// The bench gone (its IPC channel closed): the API processes go too.
process.on('disconnect', () => {
  if (!stopping) stopAll();
});

import cluster, { type Worker } from 'node:cluster';
import path from 'node:path';

/**
 * The bench's stand-in for the launcher's node:cluster part (apps/launcher main.ts): forked by
 * local-service.ts as `api-cluster-primary.js <api entry> <processes> [cpu profile dir]`, it holds
 * the API's port and runs that many API processes as cluster workers, as `npm start` does (same
 * `cluster.setupPrimary`, same scheduling: SCHED_NONE, each API process accepts from the shared
 * port itself; see the launcher's main.ts for why). It tells the bench once every API process listens, with their pids, relays
 * messages between the bench and the API processes (`npm run trace`), and exits 1 if one of them dies
 * while it should serve (the bench records that as an unexpected exit). SIGTERM stops them all.
 */
export interface ApiClusterListening {
  type: 'listening';
  port: number;
  /** Each API process: its name (`api-1`, …), pid and operations port. */
  apis: { name: string; pid: number; metricsPort: number }[];
}

const [apiEntry, processesArg, cpuProfileDir] = process.argv.slice(2);
const processes = Number(processesArg);
if (!apiEntry || !Number.isInteger(processes) || processes < 1) {
  console.error('usage: api-cluster-primary.js <api entry> <processes ≥ 1> [cpu profile dir]');
  process.exit(2);
}

let stopping = false;
const workers: Worker[] = [];
const listening = new Map<Worker, { port: number; metricsPort: number }>();
cluster.schedulingPolicy = cluster.SCHED_NONE;

for (let i = 1; i <= processes; i += 1) {
  const name = `api-${i}`;
  cluster.setupPrimary({
    exec: apiEntry,
    args: [],
    execArgv: cpuProfileDir ? ['--cpu-prof', `--cpu-prof-dir=${path.join(cpuProfileDir, name)}`] : [],
    silent: false,
  });
  const worker = cluster.fork();
  workers.push(worker);
  worker.on('message', (message: { type?: string; port?: number; metricsPort?: number }) => {
    if (message?.type !== 'listening') {
      process.send?.(message);
      if (message?.type === 'start-failed') process.exit(1);
      return;
    }
    listening.set(worker, { port: Number(message.port), metricsPort: Number(message.metricsPort) });
    if (listening.size < workers.length || workers.length < processes) return;
    const apis = workers.map((w, index) => ({
      name: `api-${index + 1}`,
      pid: w.process.pid!,
      metricsPort: listening.get(w)!.metricsPort,
    }));
    process.send?.({ type: 'listening', port: listening.get(workers[0]!)!.port, apis } satisfies ApiClusterListening);
  });
  worker.on('exit', (code, signal) => {
    if (stopping) {
      if (workers.every((w) => w.isDead())) process.exit(0);
      return;
    }
    console.error(`${name} (pid ${worker.process.pid}) exited ${signal ? `by ${signal}` : `with code ${code}`}`);
    process.exit(1);
  });
}

// The bench's messages (e.g. `trace-coverage-take`) go to every API process.
process.on('message', (message) => {
  for (const worker of workers) if (worker.isConnected()) worker.send(message as object);
});

process.on('SIGTERM', () => {
  stopping = true;
  if (workers.every((w) => w.isDead())) process.exit(0);
  for (const worker of workers) if (!worker.isDead()) worker.process.kill('SIGTERM');
});
// The bench gone (its IPC channel closed): the API processes go too.
process.on('disconnect', () => {
  if (stopping) return;
  stopping = true;
  for (const worker of workers) if (!worker.isDead()) worker.process.kill('SIGTERM');
});

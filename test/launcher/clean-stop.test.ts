import { CreateRepositoryCommand } from '@aws-sdk/client-ecr';
import { describe, expect, it } from 'vitest';
import { startLauncher, type LauncherRun, type LogLine } from '../support/launcher-harness.js';
import { pushLayer, randomLayer } from '../support/layer-data.js';

/** pino's numeric levels: 50 is error, 60 fatal. */
const ERROR_LEVEL = 50;

/** Everything `npm start` runs with the embedded Redis, two API processes and two workers. */
const CHILDREN = ['api-1', 'api-2', 'worker-1', 'worker-2'];

async function startedAndUsed(): Promise<LauncherRun> {
  const run = await startLauncher({
    embeddedRedis: true,
    ownProcessGroup: true,
    env: { API_PROCESSES: '2', WORKER_PROCESSES: '2' },
  });
  // Real work first, so the stop has connections, queues and Redis state to wind down.
  await run.ecr.send(new CreateRepositoryCommand({ repositoryName: 'stop/clean' }));
  await pushLayer(run.ecr, 'stop/clean', randomLayer(64 * 1024));
  return run;
}

/** The stop, as the log and the exit code tell it. */
async function expectCleanStop(run: LauncherRun): Promise<void> {
  expect(await run.exited).toBe(0);
  const errors = run.lines.filter((l: LogLine) => typeof l.level === 'number' && l.level >= ERROR_LEVEL);
  expect(errors).toEqual([]);
  expect(run.lines.filter((l) => l.msg === 'process died; restarting')).toEqual([]);
  expect(run.lines.filter((l) => l.msg === 'stopping Longshore')).toHaveLength(1);
  expect(run.lines.filter((l) => l.msg === 'Longshore stopped')).toHaveLength(1);
  const stopped = run.lines.filter((l) => l.msg === 'process stopped').map((l) => l.process);
  expect(stopped.sort()).toEqual(CHILDREN);
  // Every line is the JSON log; nothing was printed as plain text on stdout or stderr.
  expect(run.lines.filter((l) => l.name === undefined)).toEqual([]);
}

describe('npm start stopped', () => {
  it('by Ctrl-C (SIGINT to the whole process group): everything stops once, no ERROR line, exit 0', async () => {
    const run = await startedAndUsed();
    try {
      process.kill(-run.launcher.pid!, 'SIGINT');
      await expectCleanStop(run);
    } finally {
      await run.close();
    }
  });

  it('by SIGTERM to the launcher (systemctl stop, docker stop): the same clean stop', async () => {
    const run = await startedAndUsed();
    try {
      run.launcher.kill('SIGTERM');
      await expectCleanStop(run);
    } finally {
      await run.close();
    }
  });
});

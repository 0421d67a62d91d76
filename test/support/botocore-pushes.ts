import { spawn } from 'node:child_process';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import type { PushOutcome } from './chaos-pushes.js';

const PYTHON = '/usr/bin/python3';
const script = path.join(path.dirname(fileURLToPath(import.meta.url)), 'botocore-push-loop.py');

/**
 * A botocore client (default retry policy) pushing layers until `until` resolves; resolves with
 * every push's outcome once its last push has finished.
 */
export function botocorePushesUntil(
  endpoint: string,
  repositoryName: string,
  until: Promise<unknown>,
): Promise<PushOutcome[]> {
  const child = spawn(PYTHON, [script, endpoint, repositoryName], {
    // Only what botocore needs: no AWS profile, config or credentials of the machine leak in.
    env: {
      PATH: process.env.PATH ?? '/usr/bin:/bin',
      AWS_CONFIG_FILE: '/dev/null',
      AWS_SHARED_CREDENTIALS_FILE: '/dev/null',
      AWS_EC2_METADATA_DISABLED: 'true',
      PYTHONDONTWRITEBYTECODE: '1',
    },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  const outcomes: PushOutcome[] = [];
  let stderr = '';
  createInterface({ input: child.stdout!, crlfDelay: Infinity }).on('line', (line) => {
    outcomes.push(JSON.parse(line) as PushOutcome);
  });
  child.stderr!.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
  void until.then(() => child.stdin!.end());
  return new Promise((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code) =>
      code === 0 ? resolve(outcomes) : reject(new Error(`${PYTHON} ${script} exited with ${code}:\n${stderr}`)),
    );
  });
}

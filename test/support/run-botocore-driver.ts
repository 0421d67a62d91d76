import { spawn } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const PYTHON = '/usr/bin/python3';
const SCRIPT_TIMEOUT_MS = 60_000;

/**
 * Runs a Python botocore driver from test/support with `args`, and parses the JSON it prints.
 * Rejects with everything it printed when it does not succeed; exit code 3 means botocore is
 * missing. Only what botocore needs reaches it: no AWS profile, config or credentials.
 */
export function runBotocoreDriver<T>(scriptName: string, args: string[]): Promise<T> {
  const script = path.join(path.dirname(fileURLToPath(import.meta.url)), scriptName);
  return new Promise((resolve, reject) => {
    const child = spawn(PYTHON, [script, ...args], {
      env: {
        PATH: process.env.PATH ?? '/usr/bin:/bin',
        AWS_CONFIG_FILE: '/dev/null',
        AWS_SHARED_CREDENTIALS_FILE: '/dev/null',
        AWS_EC2_METADATA_DISABLED: 'true',
        PYTHONDONTWRITEBYTECODE: '1',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
      timeout: SCRIPT_TIMEOUT_MS,
    });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    child.on('error', (err: NodeJS.ErrnoException) => {
      reject(
        new Error(
          err.code === 'ENOENT'
            ? `${PYTHON} not found: install python3 and python3-botocore (apt-get install -y python3-botocore)`
            : `could not run ${PYTHON}: ${err.message}`,
        ),
      );
    });
    child.on('close', (code, signal) => {
      if (code === 3) {
        reject(
          new Error(
            `botocore is missing for ${PYTHON}; install it with \`apt-get install -y python3-botocore\`.\n${stderr}`,
          ),
        );
      } else if (code !== 0) {
        const why = signal ? `was killed by ${signal} (timeout ${SCRIPT_TIMEOUT_MS} ms?)` : `exited with ${code}`;
        reject(new Error(`${PYTHON} ${script} ${why}\nstderr:\n${stderr}\nstdout:\n${stdout}`));
      } else {
        try {
          resolve(JSON.parse(stdout) as T);
        } catch {
          reject(new Error(`the botocore driver printed no JSON:\n${stdout}\nstderr:\n${stderr}`));
        }
      }
    });
  });
}

import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { findExecutable } from './find-executable.js';

/**
 * Installs Debian packages, only where that is safe to do unasked: running as root with apt-get
 * available (a CI machine or container). Runs `apt-get update`, then
 * `apt-get install -y --no-install-recommends <packages>`, sending their output to `log`.
 * Resolves with whether both steps succeeded; never throws.
 */
export async function installOsPackages(packages: readonly string[], log: (line: string) => void): Promise<boolean> {
  if (process.getuid?.() !== 0) {
    log(`not running as root: not installing ${packages.join(' ')}`);
    return false;
  }
  const aptGet = findExecutable('apt-get');
  if (aptGet === undefined) {
    log(`apt-get not found: not installing ${packages.join(' ')}`);
    return false;
  }
  const steps = [['update'], ['install', '-y', '--no-install-recommends', ...packages]];
  for (const args of steps) {
    log(`$ apt-get ${args.join(' ')}`);
    const outcome = await run(aptGet, args, log);
    if (outcome !== 'ok') {
      log(`apt-get ${args[0] ?? ''} failed: ${outcome}`);
      return false;
    }
  }
  return true;
}

function run(command: string, args: string[], log: (line: string) => void): Promise<string> {
  return new Promise((resolve) => {
    const child = spawn(command, args, {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' },
    });
    createInterface({ input: child.stdout, crlfDelay: Infinity }).on('line', log);
    createInterface({ input: child.stderr, crlfDelay: Infinity }).on('line', log);
    child.once('error', (error) => resolve(error.message));
    child.once('close', (code, signal) =>
      resolve(code === 0 ? 'ok' : signal === null ? `exit code ${code}` : `killed by ${signal}`),
    );
  });
}

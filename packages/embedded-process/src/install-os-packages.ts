import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { findExecutable } from './find-executable.js';

/** An OS package something needs, and how to tell whether what it provides is already there. */
export interface OsRequirement {
  /** The Debian/Ubuntu package name, e.g. `redis-server`, `python3-botocore`, `skopeo`. */
  package: string;
  /** True when what the package provides can already be used (checked before and after installing). */
  present(): boolean;
}

/**
 * Makes sure the given requirements are met, installing the missing packages from the OS
 * packages only where that is safe to do unasked: running as root with apt-get available (a CI
 * machine or container). Runs `apt-get update` once, then one `apt-get install -y
 * --no-install-recommends` of everything missing, sending their output to `log`. Resolves with
 * the packages still missing afterwards (empty: all present); never throws for a failed install.
 * Used by `npm start` (redis-server) and the test setup (redis-server, botocore, and whatever a
 * test adds).
 */
export async function ensureOsPackages(
  requirements: readonly OsRequirement[],
  log: (line: string) => void,
): Promise<string[]> {
  const missing = () => requirements.filter((r) => !r.present()).map((r) => r.package);
  const needed = missing();
  if (needed.length === 0) return [];
  if (process.getuid?.() !== 0) {
    log(`not running as root: not installing ${needed.join(', ')} (run: apt-get install -y ${needed.join(' ')})`);
    return needed;
  }
  const aptGet = findExecutable('apt-get');
  if (aptGet === undefined) {
    log(`apt-get not found: not installing ${needed.join(', ')}`);
    return needed;
  }
  const steps = [['update'], ['install', '-y', '--no-install-recommends', ...needed]];
  for (const args of steps) {
    log(`$ apt-get ${args.join(' ')}`);
    const outcome = await run(aptGet, args, log);
    if (outcome !== 'ok') {
      log(`apt-get ${args[0] ?? ''} failed: ${outcome}`);
      return missing();
    }
  }
  return missing();
}

function run(command: string, args: string[], log: (line: string) => void): Promise<string> {
  return new Promise((resolve) => {
    const child = spawn(command, args, {
      stdio: ['ignore', 'pipe', 'pipe'],
      // The child inherits this process's environment (as spawn does by default), plus no prompts.
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

import { execFile } from 'node:child_process';
import { access, constants } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

async function onPath(binary: string): Promise<string | undefined> {
  for (const dir of [...(process.env.PATH ?? '').split(path.delimiter), '/usr/bin', '/usr/local/bin']) {
    if (!dir) continue;
    const candidate = path.join(dir, binary);
    if (
      await access(candidate, constants.X_OK).then(
        () => true,
        () => false,
      )
    )
      return candidate;
  }
  return undefined;
}

/**
 * The path of a command-line client a test drives (skopeo, umoci). When it is missing and this
 * runs as root with apt-get (a fresh CI machine), installs its Debian package first, as
 * `npm start` does for redis-server; otherwise fails with the command to run.
 */
export async function requireOsTool(binary: string, debianPackage = binary): Promise<string> {
  const found = await onPath(binary);
  if (found) return found;
  const aptGet = await onPath('apt-get');
  if (process.getuid?.() === 0 && aptGet) {
    const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
    await run(aptGet, ['update'], { env, maxBuffer: 64 * 1024 * 1024 });
    await run(aptGet, ['install', '-y', '--no-install-recommends', debianPackage], {
      env,
      maxBuffer: 64 * 1024 * 1024,
    });
    const installed = await onPath(binary);
    if (installed) return installed;
  }
  throw new Error(
    `${binary} is not installed, and this test could not install it (needs root and apt-get): run \`apt-get install -y ${debianPackage}\``,
  );
}

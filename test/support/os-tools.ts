import { access, constants } from 'node:fs/promises';
import path from 'node:path';

async function onPath(binary: string): Promise<string | undefined> {
  for (const dir of [...(process.env.PATH ?? '').split(path.delimiter), '/usr/bin', '/usr/local/bin']) {
    if (!dir) continue;
    const candidate = path.join(dir, binary);
    const executable = await access(candidate, constants.X_OK).then(
      () => true,
      () => false,
    );
    if (executable) return candidate;
  }
  return undefined;
}

/**
 * The path of a command-line client a test drives (skopeo, aws). The global setup installs the
 * OS packages of `test/support/os-packages.ts` when they are missing and it runs as root; a
 * client still missing fails the test with the command to run.
 */
export async function requireOsTool(binary: string, debianPackage = binary): Promise<string> {
  const found = await onPath(binary);
  if (found) return found;
  throw new Error(
    `${binary} is not installed, and the test setup could not install it (needs root and apt-get): run \`apt-get install -y ${debianPackage}\``,
  );
}

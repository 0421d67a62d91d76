import { accessSync, constants, statSync } from 'node:fs';
import { delimiter, isAbsolute, join, resolve } from 'node:path';

/** Where Debian puts system daemons' executables even when PATH leaves them out. */
const WELL_KNOWN_DIRS = ['/usr/bin', '/usr/sbin', '/usr/local/bin'];

function isExecutableFile(path: string): boolean {
  try {
    accessSync(path, constants.X_OK);
    return statSync(path).isFile();
  } catch {
    return false;
  }
}

/**
 * Resolves a command as a shell would (a path is taken as is, a bare name is looked up on PATH),
 * then in the well-known install directories. Returns an absolute path, or undefined.
 */
export function findExecutable(command: string): string | undefined {
  if (command.includes('/') || isAbsolute(command)) {
    return isExecutableFile(command) ? resolve(command) : undefined;
  }
  // PATH is the operating system's executable search path, not application configuration.
  const dirs = [...(process.env.PATH ?? '').split(delimiter), ...WELL_KNOWN_DIRS];
  for (const dir of dirs) {
    if (dir === '') continue;
    const candidate = resolve(join(dir, command));
    if (isExecutableFile(candidate)) return candidate;
  }
  return undefined;
}

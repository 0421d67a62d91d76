import { accessSync, constants, statSync } from 'node:fs';
import { delimiter, isAbsolute, join, resolve } from 'node:path';

/** Whether `path` is a regular file this process may execute. */
export function isExecutableFile(path: string): boolean {
  try {
    accessSync(path, constants.X_OK);
    return statSync(path).isFile();
  } catch {
    return false;
  }
}

/**
 * Resolves a command the way a shell would: a name containing a path separator is taken as a
 * path; a bare name is looked up in the directories of PATH, then in `alsoIn` (install
 * directories PATH may leave out). Returns an absolute path, or undefined when there is no such
 * executable.
 */
export function findExecutable(command: string, alsoIn: readonly string[] = []): string | undefined {
  if (command.includes('/') || isAbsolute(command)) {
    return isExecutableFile(command) ? resolve(command) : undefined;
  }
  // PATH is the operating system's executable search path, not application configuration:
  // reading it here is what spawn() itself does.
  const dirs = [...(process.env.PATH ?? '').split(delimiter), ...alsoIn];
  for (const dir of dirs) {
    if (dir === '') continue;
    const candidate = resolve(join(dir, command));
    if (isExecutableFile(candidate)) return candidate;
  }
  return undefined;
}

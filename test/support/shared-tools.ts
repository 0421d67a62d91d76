import { access, constants } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');

/**
 * Finds a tool of the project's shared directory (`shared/bin/<name>`): CI keeps `shared/` at
 * `../shared` relative to the repository root; a checkout nested deeper (a git worktree) finds
 * it further up. Returns the paths tried when it is nowhere, for a clear failure message.
 */
export async function findSharedTool(name: string): Promise<{ path?: string; tried: string[] }> {
  const tried: string[] = [];
  for (let dir = path.dirname(repoRoot); ; dir = path.dirname(dir)) {
    const candidate = path.join(dir, 'shared', 'bin', name);
    tried.push(candidate);
    if (
      await access(candidate, constants.X_OK).then(
        () => true,
        () => false,
      )
    )
      return { path: candidate, tried };
    if (path.dirname(dir) === dir) return { tried };
  }
}

import type { ChildProcess } from 'node:child_process';

const children = new Set<ChildProcess>();

function killAll(): void {
  // 'exit' handlers must be synchronous: kill() only sends the signal.
  for (const child of children) child.kill('SIGTERM');
}

/**
 * Sends `child` SIGTERM when this process exits, until `exited` settles, so a child left running
 * by a crash or a forgotten stop() is not orphaned. One shared 'exit' listener for all children.
 */
export function killOnExit(child: ChildProcess, exited: Promise<void>): void {
  if (children.size === 0) process.on('exit', killAll);
  children.add(child);
  void exited.then(() => {
    children.delete(child);
    if (children.size === 0) process.off('exit', killAll);
  });
}

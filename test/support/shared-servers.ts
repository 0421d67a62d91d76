/**
 * Servers the test projects' global setups share within one vitest run. Vitest runs each
 * project's global setup on its own (one after the other, each file loaded afresh), so a server
 * two projects need would start twice; this keeps one per name on `globalThis` (the vitest main
 * process) and stops it when the last project that acquired it releases it.
 */
export interface SharedServer<T> {
  readonly value: T;
  /** Gives this project's hold back; the server stops when no project holds it any more. */
  release(): Promise<void>;
}

interface Entry {
  holders: number;
  started: Promise<{ value: unknown; stop: () => Promise<void> }>;
}

const registryKey = Symbol.for('longshore.test.shared-servers');

function registry(): Map<string, Entry> {
  const holder = globalThis as { [registryKey]?: Map<string, Entry> };
  holder[registryKey] ??= new Map();
  return holder[registryKey];
}

/**
 * The server called `name`, started by `start` the first time a project asks for it. A failed
 * start is forgotten (and thrown to every project waiting on it), so nothing half-started is kept.
 */
export async function acquireSharedServer<T>(
  name: string,
  start: () => Promise<{ value: T; stop: () => Promise<void> }>,
): Promise<SharedServer<T>> {
  const servers = registry();
  let entry = servers.get(name);
  if (!entry) {
    const created: Entry = { holders: 0, started: start() };
    servers.set(name, created);
    created.started.catch(() => {
      if (servers.get(name) === created) servers.delete(name);
    });
    entry = created;
  }
  entry.holders += 1;
  const held = entry;
  let server: { value: unknown; stop: () => Promise<void> };
  try {
    server = await held.started;
  } catch (error) {
    held.holders -= 1;
    throw error;
  }
  let released = false;
  return {
    value: server.value as T,
    async release() {
      if (released) return;
      released = true;
      held.holders -= 1;
      if (held.holders > 0) return;
      if (servers.get(name) === held) servers.delete(name);
      await server.stop();
    },
  };
}

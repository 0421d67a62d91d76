import { readFile, readdir, readlink } from 'node:fs/promises';
import type { Redis } from 'ioredis';

export interface RedisClientEntry {
  id: string;
  name: string;
  addr: string;
  /** Channels this connection is subscribed to. */
  sub: number;
  /** Patterns this connection is subscribed to (PSUBSCRIBE). */
  psub: number;
}

/**
 * The Redis connections one process holds, as Redis itself lists them (CLIENT LIST), even when
 * other processes on the same Redis use the same connection names: the process's own TCP
 * sockets to the Redis port are read from /proc (Linux), and matched to CLIENT LIST entries by
 * their address. Fails if a socket has no CLIENT LIST entry, so nothing is missed.
 */
export async function redisClientsOf(pid: number, redis: Redis, redisUrl: string): Promise<RedisClientEntry[]> {
  const redisPort = Number(new URL(redisUrl).port);
  const localPorts = await connectedLocalPorts(pid, redisPort);
  const list = String(await redis.call('CLIENT', 'LIST'));
  const entries = list
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line) =>
      Object.fromEntries(
        line
          .trim()
          .split(' ')
          .map((pair) => [pair.slice(0, pair.indexOf('=')), pair.slice(pair.indexOf('=') + 1)]),
      ),
    )
    .map((fields: Record<string, string>) => ({
      id: fields.id ?? '',
      name: fields.name ?? '',
      addr: fields.addr ?? '',
      sub: Number(fields.sub ?? 0),
      psub: Number(fields.psub ?? 0),
    }));
  const mine = entries.filter((entry) => localPorts.has(Number(entry.addr.slice(entry.addr.lastIndexOf(':') + 1))));
  if (mine.length !== localPorts.size) {
    throw new Error(
      `process ${pid} has ${localPorts.size} sockets to Redis but CLIENT LIST shows ${mine.length} of them`,
    );
  }
  return mine;
}

/** Local ports of the ESTABLISHED TCP connections process `pid` holds to `remotePort`. */
async function connectedLocalPorts(pid: number, remotePort: number): Promise<Set<number>> {
  const inodes = new Set<string>();
  for (const fd of await readdir(`/proc/${pid}/fd`)) {
    const target = await readlink(`/proc/${pid}/fd/${fd}`).catch(() => '');
    const match = /^socket:\[(\d+)\]$/.exec(target);
    if (match) inodes.add(match[1]!);
  }
  const ports = new Set<number>();
  for (const table of ['tcp', 'tcp6']) {
    const text = await readFile(`/proc/${pid}/net/${table}`, 'utf8').catch(() => '');
    for (const line of text.split('\n').slice(1)) {
      const columns = line.trim().split(/\s+/);
      if (columns.length < 10) continue;
      const [, local, remote, state] = columns;
      const inode = columns[9]!;
      const ESTABLISHED = '01';
      if (state !== ESTABLISHED || !inodes.has(inode)) continue;
      if (parseInt(remote!.split(':')[1]!, 16) !== remotePort) continue;
      ports.add(parseInt(local!.split(':')[1]!, 16));
    }
  }
  return ports;
}

import { readdirSync, readFileSync, readlinkSync } from 'node:fs';

/**
 * Which processes hold the server side of each client connection, read from Linux's /proc: the
 * kernel's TCP table gives the socket (inode) whose local port is the server's and whose peer
 * port is the client's, and each process's file descriptors name the sockets it holds. This is
 * the truth of where a connection went, whatever the processes themselves report.
 */
export function socketHolders(serverPort: number, clientPorts: number[], pids: number[]): Map<number, number[]> {
  const inodeByClientPort = new Map<number, string>();
  for (const table of ['/proc/net/tcp', '/proc/net/tcp6']) {
    for (const line of readFileSync(table, 'utf8').split('\n').slice(1)) {
      const fields = line.trim().split(/\s+/);
      if (fields.length < 10) continue;
      const localPort = Number.parseInt(fields[1]!.split(':')[1]!, 16);
      const remotePort = Number.parseInt(fields[2]!.split(':')[1]!, 16);
      if (localPort === serverPort && clientPorts.includes(remotePort)) inodeByClientPort.set(remotePort, fields[9]!);
    }
  }
  const holdersByInode = new Map<string, number[]>();
  for (const pid of pids) {
    for (const fd of readdirSync(`/proc/${pid}/fd`)) {
      let target: string;
      try {
        target = readlinkSync(`/proc/${pid}/fd/${fd}`);
      } catch {
        continue; // closed while listed
      }
      const inode = /^socket:\[(\d+)\]$/.exec(target)?.[1];
      if (inode) holdersByInode.set(inode, [...(holdersByInode.get(inode) ?? []), pid]);
    }
  }
  return new Map(
    clientPorts.map((port) => {
      const inode = inodeByClientPort.get(port);
      return [port, inode ? [...new Set(holdersByInode.get(inode) ?? [])] : []];
    }),
  );
}

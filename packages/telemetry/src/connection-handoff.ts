import net from 'node:net';

/**
 * The launcher's API port, seen from both ends of the IPC channel: the launcher accepts each
 * connection and hands it to one API process (connection-balancer.ts), which serves it on its
 * HTTP(S) server (here) and reports what became of it, so the launcher always knows how many
 * connections each process has open and never leaves one it accepted without a taker.
 */

/** The argument the launcher starts an API process with: take connections from it, listen on nothing. */
export const CONNECTIONS_FROM_LAUNCHER = '--connections-from-launcher';

/** Launcher → API process, with the connection's socket (sent with `keepOpen`: the launcher keeps its copy). */
export const HANDOFF = 'longshore:connection';
/** API process → launcher: it serves the connection; the launcher may close its copy. */
export const ACCEPTED = 'longshore:connection-accepted';
/** API process → launcher: it is draining and did not read the connection; another process may take it. */
export const DECLINED = 'longshore:connection-declined';
/** API process → launcher: the connection it served is closed. */
export const CLOSED = 'longshore:connection-closed';
/** API process → launcher: it is stopping; hand it nothing more. */
export const DRAINING = 'longshore:draining';

export interface HandoffMessage {
  type: typeof HANDOFF;
  id: number;
}

export type ConnectionReport =
  | { type: typeof ACCEPTED | typeof DECLINED | typeof CLOSED; id: number }
  | { type: typeof DRAINING };

/** Whether this process was started by the launcher to take connections from it (and must not listen). */
export function takesConnectionsFromLauncher(): boolean {
  return process.argv.includes(CONNECTIONS_FROM_LAUNCHER) && typeof process.send === 'function';
}

export interface HandedConnections {
  /** Takes no more connections (they go back to the launcher unread); resolves once every open one is closed. */
  drain(): Promise<void>;
}

/**
 * In an API process of the launcher: serves each connection the launcher hands over on `server`,
 * as if `server` had accepted it (for an HTTPS server the TLS handshake happens here).
 */
export function serveHandedConnections(server: net.Server): HandedConnections {
  const open = new Set<net.Socket>();
  let draining = false;
  let drained: (() => void) | undefined;
  // An http(s).Server starts tracking its connections (headersTimeout, closeIdleConnections) on
  // 'listening'; it listens through the launcher, so it is told so itself.
  server.emit('listening');
  process.on('message', (message: unknown, handle: unknown) => {
    const handoff = message as Partial<HandoffMessage> | null;
    if (handoff?.type !== HANDOFF || typeof handoff.id !== 'number' || !(handle instanceof net.Socket)) return;
    const id = handoff.id;
    if (draining) {
      // Closed here before a byte was read (node reads a received socket only once this message
      // handler has returned), so the launcher, whose copy stays open, can hand it to another process.
      handle.destroy();
      report({ type: DECLINED, id });
      return;
    }
    report({ type: ACCEPTED, id });
    open.add(handle);
    handle.once('close', () => {
      open.delete(handle);
      report({ type: CLOSED, id });
      if (open.size === 0) drained?.();
    });
    // What node's own accept gives an http(s).Server's connections.
    handle.allowHalfOpen = true;
    handle.setNoDelay(true);
    server.emit('connection', handle);
  });
  return {
    drain() {
      draining = true;
      report({ type: DRAINING });
      if (open.size === 0) return Promise.resolve();
      return new Promise((resolve) => {
        drained = resolve;
      });
    },
  };
}

/** To the launcher, if it is still there (a launcher that is gone is not an error here). */
function report(message: ConnectionReport): void {
  if (process.connected) process.send?.(message, undefined, undefined, () => undefined);
}

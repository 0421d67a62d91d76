import type { ChildProcess } from 'node:child_process';
import net from 'node:net';
import {
  ACCEPTED,
  CLOSED,
  type ConnectionReport,
  DECLINED,
  DRAINING,
  HANDOFF,
  type HandoffMessage,
} from './connection-handoff.js';
import type { Logger } from './create-logger.js';
import { listenOn } from './ops-server.js';

/** A connection the launcher holds: waiting for a process, or handed over and not yet accepted. */
interface Held {
  socket: net.Socket;
  since: number;
}

/** One API process that takes connections. */
interface Taker {
  name: string;
  child: ChildProcess;
  /** Connections it accepted and has not reported closed. */
  open: Set<number>;
  /** The connection sent to it that it has not yet accepted or declined: one at a time. */
  inFlight?: { id: number; held: Held };
  draining: boolean;
}

export interface ConnectionBalancerOptions {
  log: Logger;
  /** Connections that may wait for an API process to take them; one more is reset. */
  maxWaiting?: number;
  /** How long a connection may wait for an API process, or for the process it was sent to to accept it. */
  maxWaitMs?: number;
}

const SWEEP_EVERY_MS = 1_000;

/**
 * The API port of `npm start` (and of the bench's stand-in): this process accepts every connection,
 * without reading it, and hands it over IPC to the API process with the fewest open connections
 * (ties in turn), which serves it (connection-handoff.ts). So a few long uploads are spread over
 * the processes, which accepting from a shared socket (node:cluster's SCHED_NONE) did not do.
 *
 * No connection is left without an answer. A process is sent one connection at a time, the next
 * once it said it accepted the last (node passes handles one at a time anyway), and this process
 * keeps its copy until then. If the process dies first, that one connection is reset (its client
 * sees ECONNRESET and retries; it is never sent again, for the dead process may have read from it);
 * the connections queued behind it were never sent and go to another process. A draining process
 * declines what it has not read, and the connection goes to another. While no process can take
 * one, connections wait here (at most `maxWaiting`, for at most `maxWaitMs`), then are reset.
 */
export class ConnectionBalancer {
  private readonly server: net.Server;
  private readonly takers: Taker[] = [];
  /** Oldest first. */
  private readonly waiting: Held[] = [];
  private readonly log: Logger;
  private readonly maxWaiting: number;
  private readonly maxWaitMs: number;
  private nextId = 1;
  /** Where the search for the least loaded taker starts: after the last one chosen. */
  private turn = 0;
  private closed = false;
  private sweep?: NodeJS.Timeout;

  constructor(options: ConnectionBalancerOptions) {
    this.log = options.log;
    this.maxWaiting = options.maxWaiting ?? 1024;
    this.maxWaitMs = options.maxWaitMs ?? 10_000;
    this.server = net.createServer({ pauseOnConnect: true }, (socket) => {
      // Never read here, so only a reset of ours could error; nothing to report.
      socket.on('error', () => undefined);
      if (this.closed) socket.resetAndDestroy();
      else if (this.waiting.length >= this.maxWaiting) {
        socket.resetAndDestroy();
        this.log.warn({ waiting: this.waiting.length }, 'reset a connection: too many wait for an API process');
      } else {
        this.waiting.push({ socket, since: Date.now() });
        this.handOut();
      }
    });
  }

  /** Listens on the API port; resolves with the port (a ListenError names `settings`). */
  async listen(port: number, host: string, settings: string): Promise<number> {
    const bound = await listenOn(this.server, port, host, settings);
    this.sweep = setInterval(() => this.resetOverdue(), SWEEP_EVERY_MS).unref();
    return bound;
  }

  /** An API process that reported ready: it takes connections until it drains or exits. */
  add(name: string, child: ChildProcess): void {
    const taker: Taker = { name, child, open: new Set(), draining: false };
    this.takers.push(taker);
    const onReport = (message: unknown) => this.onReport(taker, message as ConnectionReport | null);
    child.on('message', onReport);
    // Its IPC channel gone, it can accept nothing more; what it was sent is settled at its exit.
    child.once('disconnect', () => {
      taker.draining = true;
    });
    child.once('exit', () => {
      child.off('message', onReport);
      this.takers.splice(this.takers.indexOf(taker), 1);
      // Dead, it holds nothing: the connection it had not accepted is reset (its copy died with it).
      if (taker.inFlight) {
        taker.inFlight.held.socket.resetAndDestroy();
        this.log.warn({ process: name }, 'reset a connection sent to an API process that died');
      }
      taker.inFlight = undefined;
    });
    this.handOut();
  }

  /** Stops accepting; connections still waiting, or handed back by a draining process, are reset. */
  close(): void {
    this.closed = true;
    clearInterval(this.sweep);
    this.server.close();
    this.handOut();
  }

  /** Sends waiting connections, oldest first, while a process is free to take one (after close: resets them). */
  private handOut(): void {
    if (this.closed) for (const held of this.waiting.splice(0)) held.socket.resetAndDestroy();
    while (this.waiting.length > 0) {
      const taker = this.leastLoaded();
      if (!taker) return;
      this.send(taker, this.waiting.shift()!);
    }
  }

  /** Of the processes free to take a connection, the one with the fewest; among equals, the next in turn. */
  private leastLoaded(): Taker | undefined {
    let best: Taker | undefined;
    const count = this.takers.length;
    for (let k = 0; k < count; k++) {
      const taker = this.takers[(this.turn + k) % count]!;
      if (taker.inFlight || taker.draining || !taker.child.connected) continue;
      if (!best || taker.open.size < best.open.size) best = taker;
    }
    if (best) this.turn = (this.takers.indexOf(best) + 1) % count;
    return best;
  }

  private send(taker: Taker, held: Held): void {
    const id = this.nextId++;
    const inFlight = { id, held: { socket: held.socket, since: Date.now() } };
    taker.inFlight = inFlight;
    taker.child.send({ type: HANDOFF, id } satisfies HandoffMessage, held.socket, { keepOpen: true }, (err) => {
      // Not written to the channel (it closed): the process never had it, so another may take it.
      if (!err || taker.inFlight !== inFlight) return;
      taker.inFlight = undefined;
      taker.draining = true;
      this.waiting.unshift(held);
      this.handOut();
    });
  }

  private onReport(taker: Taker, report: ConnectionReport | null): void {
    switch (report?.type) {
      case ACCEPTED:
        taker.open.add(report.id);
        if (taker.inFlight?.id === report.id) {
          // The process has its own copy now; closing ours leaves the connection to it.
          taker.inFlight.held.socket.destroy();
          taker.inFlight = undefined;
          this.handOut();
        }
        break;
      case CLOSED:
        taker.open.delete(report.id);
        break;
      case DECLINED:
        taker.draining = true;
        if (taker.inFlight?.id === report.id) {
          this.waiting.unshift(taker.inFlight.held);
          taker.inFlight = undefined;
          this.handOut();
        }
        break;
      case DRAINING:
        taker.draining = true;
        break;
    }
  }

  /**
   * Connections that waited too long for a process are reset. One a live process has not accepted
   * in that time (it never received it, or its event loop is stuck) is closed, not reset: should
   * the process hold a copy after all, the connection stays its to serve.
   */
  private resetOverdue(): void {
    const overdue = Date.now() - this.maxWaitMs;
    let reset = 0;
    while (this.waiting.length > 0 && this.waiting[0]!.since < overdue) {
      this.waiting.shift()!.socket.resetAndDestroy();
      reset += 1;
    }
    if (reset > 0) this.log.warn({ connections: reset }, 'reset connections no API process took in time');
    for (const taker of this.takers) {
      if (!taker.inFlight || taker.inFlight.held.since >= overdue) continue;
      taker.inFlight.held.socket.destroy();
      taker.inFlight = undefined;
      this.log.warn({ process: taker.name }, 'closed a connection its API process did not accept in time');
    }
    this.handOut();
  }
}

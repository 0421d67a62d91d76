import { once } from 'node:events';
import { connect, type Socket } from 'node:net';

/** One command Redis ran, as MONITOR shows it: who sent it (`host:port`, or `lua` inside a script) and its words. */
export interface MonitoredCommand {
  source: string;
  args: string[];
}

/**
 * Every command a Redis runs, in its order (MONITOR), read on a plain socket: ioredis's monitor
 * mode can take a monitor line for the answer to its own first command when Redis is busy.
 * Arguments are read as MONITOR quotes them (escapes left as they are).
 */
export class RedisMonitor {
  readonly commands: MonitoredCommand[] = [];
  private socket!: Socket;
  private buffered = '';

  static async start(redisUrl: string): Promise<RedisMonitor> {
    const monitor = new RedisMonitor();
    await monitor.connect(redisUrl);
    return monitor;
  }

  private async connect(redisUrl: string): Promise<void> {
    const { hostname, port } = new URL(redisUrl);
    this.socket = connect(Number(port), hostname);
    await once(this.socket, 'connect');
    this.socket.setEncoding('utf8');
    const ok = new Promise<void>((resolve) => {
      this.socket.on('data', (chunk: string) => {
        this.buffered += chunk;
        let end = this.buffered.indexOf('\r\n');
        while (end >= 0) {
          const line = this.buffered.slice(0, end);
          this.buffered = this.buffered.slice(end + 2);
          if (line === '+OK') resolve();
          else this.record(line);
          end = this.buffered.indexOf('\r\n');
        }
      });
    });
    this.socket.write('MONITOR\r\n');
    await ok;
  }

  /** `+<time> [<db> <source>] "<arg>" "<arg>" …` */
  private record(line: string): void {
    const head = /^\+[\d.]+ \[\d+ ([^\]]+)\] /.exec(line);
    if (!head) return;
    const args = [...line.slice(head[0].length).matchAll(/"((?:[^"\\]|\\.)*)"/g)].map((m) => m[1]!);
    this.commands.push({ source: head[1]!, args });
  }

  stop(): void {
    this.socket?.destroy();
  }
}

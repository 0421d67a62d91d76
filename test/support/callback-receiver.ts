import { once } from 'node:events';
import http from 'node:http';
import type { AddressInfo } from 'node:net';

export interface ReceivedCallback {
  path: string;
  method: string;
  headers: http.IncomingHttpHeaders;
  /** The body exactly as it arrived (what the signature covers). */
  rawBody: Buffer;
  /** The status this receiver answered with. */
  answered: number;
  receivedAt: number;
}

export interface CallbackReceiver {
  /** `http://127.0.0.1:<port>/`: the prefix to put on the callback allowlist. */
  baseUrl: string;
  received: ReceivedCallback[];
  /** Requests that arrived on `path`. */
  receivedOn(path: string): ReceivedCallback[];
  /**
   * The statuses to answer on `path`, in order; once they run out, the last one is repeated
   * (200 when none were given).
   */
  answer(path: string, statuses: number[]): void;
  close(): Promise<void>;
}

/**
 * A real HTTP server on 127.0.0.1 that records every callback and answers as scripted; on `port`
 * when given (a receiver coming up where senders were refused), else on a free one.
 */
export async function startCallbackReceiver(port = 0): Promise<CallbackReceiver> {
  const received: ReceivedCallback[] = [];
  const scripts = new Map<string, number[]>();
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const path = req.url ?? '/';
      const script = scripts.get(path) ?? [];
      const seen = received.filter((r) => r.path === path).length;
      const answered = script[Math.min(seen, script.length - 1)] ?? 200;
      received.push({
        path,
        method: req.method ?? '',
        headers: req.headers,
        rawBody: Buffer.concat(chunks),
        answered,
        receivedAt: Date.now(),
      });
      res.writeHead(answered, { 'content-type': 'text/plain' }).end(answered < 300 ? 'thanks' : 'try again');
    });
  });
  server.listen(port, '127.0.0.1');
  await once(server, 'listening');
  const bound = (server.address() as AddressInfo).port;
  return {
    baseUrl: `http://127.0.0.1:${bound}/`,
    received,
    receivedOn: (path) => received.filter((r) => r.path === path),
    answer: (path, statuses) => void scripts.set(path, statuses),
    async close() {
      server.closeAllConnections();
      await new Promise<void>((resolve, reject) => server.close((err) => (err ? reject(err) : resolve())));
    },
  };
}

import http from 'node:http';
import type { AddressInfo } from 'node:net';

/** S3's answer when it throttles: 503 with the SlowDown error document. */
const SLOW_DOWN = `<?xml version="1.0" encoding="UTF-8"?>
<Error><Code>SlowDown</Code><Message>Please reduce your request rate.</Message><RequestId>throttling-proxy</RequestId></Error>`;

/** Which requests the proxy throttles; the others are forwarded. */
export interface ThrottlePlan {
  /** Throttle only requests whose `METHOD path?query` matches; default: every request. */
  match?: RegExp;
  /** Throttle this many matching requests, then forward again; default: until `stop()`. */
  count?: number;
  /** Throttle one matching request in `every` (the others are forwarded); default 1: each one. */
  every?: number;
}

export interface ThrottlingS3Proxy {
  /** `http://127.0.0.1:<port>`: the S3 endpoint to give Longshore. */
  endpoint: string;
  /** Requests answered SlowDown so far. */
  readonly throttled: number;
  /** Requests forwarded so far. */
  readonly forwarded: number;
  /** Starts throttling as `plan` says (replacing any plan before). */
  throttle(plan?: ThrottlePlan): void;
  /** Forwards everything again. */
  stop(): void;
  close(): Promise<void>;
}

/**
 * The test's instrument in front of a real S3 server: answers S3's 503 SlowDown to the requests a
 * plan chooses and forwards the others unchanged (the Host header included, so SigV4 signatures
 * made for the proxy's address still verify). Bodies of throttled requests are read to the end
 * first, as a server does, so the client sees the answer rather than a reset connection.
 */
export async function startThrottlingS3Proxy(target: string): Promise<ThrottlingS3Proxy> {
  const upstream = new URL(target);
  let plan: (ThrottlePlan & { left: number; seen: number }) | undefined;
  let throttled = 0;
  let forwarded = 0;

  const server = http.createServer((req, res) => {
    const line = `${req.method} ${req.url}`;
    const chosen = plan && plan.left > 0 && (plan.match?.test(line) ?? true) && plan.seen++ % (plan.every ?? 1) === 0;
    if (plan && chosen) {
      plan.left -= 1;
      throttled += 1;
      req.resume();
      req.on('end', () => {
        res.writeHead(503, { 'content-type': 'application/xml', 'content-length': Buffer.byteLength(SLOW_DOWN) });
        res.end(req.method === 'HEAD' ? undefined : SLOW_DOWN);
      });
      return;
    }
    forwarded += 1;
    const forward = http.request(
      { host: upstream.hostname, port: upstream.port, method: req.method, path: req.url, headers: req.headers },
      (answer) => {
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(res);
      },
    );
    forward.on('error', () => res.destroy());
    req.pipe(forward);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    endpoint: `http://127.0.0.1:${port}`,
    get throttled() {
      return throttled;
    },
    get forwarded() {
      return forwarded;
    },
    throttle(next = {}) {
      plan = { ...next, left: next.count ?? Number.POSITIVE_INFINITY, seen: 0 };
    },
    stop() {
      plan = undefined;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

import http from 'node:http';
import https from 'node:https';

export interface HttpResponse {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: Buffer;
}

export interface RequestOptions {
  /** No byte received for this long fails the request. */
  idleTimeoutMs?: number;
  signal?: AbortSignal;
}

const DEFAULT_IDLE_TIMEOUT_MS = 120_000;

/**
 * A lean keep-alive HTTP client for one endpoint: bodies go out as the caller's precomputed
 * buffers (written in order, never copied together), answers come back whole.
 */
export class HttpTarget {
  private readonly transport: typeof http | typeof https;
  private readonly agent: http.Agent;
  private readonly hostname: string;
  private readonly port: number;

  constructor(
    readonly endpoint: URL,
    maxSockets: number,
  ) {
    if (endpoint.protocol !== 'http:' && endpoint.protocol !== 'https:') {
      throw new Error(`The endpoint must be an http(s) URL, got ${endpoint.href}`);
    }
    this.transport = endpoint.protocol === 'https:' ? https : http;
    this.agent = new this.transport.Agent({ keepAlive: true, maxSockets, maxFreeSockets: maxSockets });
    this.hostname = endpoint.hostname.replace(/^\[|\]$/g, '');
    this.port = endpoint.port ? Number(endpoint.port) : endpoint.protocol === 'https:' ? 443 : 80;
  }

  request(
    method: string,
    path: string,
    headers: http.OutgoingHttpHeaders,
    body: readonly Uint8Array[] = [],
    options: RequestOptions = {},
  ): Promise<HttpResponse> {
    const length = body.reduce((sum, chunk) => sum + chunk.byteLength, 0);
    return new Promise<HttpResponse>((resolve, reject) => {
      const req = this.transport.request({
        agent: this.agent,
        hostname: this.hostname,
        port: this.port,
        method,
        path,
        headers: { ...headers, 'content-length': length },
        timeout: options.idleTimeoutMs ?? DEFAULT_IDLE_TIMEOUT_MS,
        ...(options.signal ? { signal: options.signal } : {}),
      });
      req.on('timeout', () =>
        req.destroy(
          new Error(`${method} ${path}: no answer within ${options.idleTimeoutMs ?? DEFAULT_IDLE_TIMEOUT_MS} ms`),
        ),
      );
      req.on('error', reject);
      req.on('response', (res) => {
        const chunks: Buffer[] = [];
        let ended = false;
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('error', reject);
        res.on('end', () => {
          ended = true;
          resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) });
        });
        res.on('close', () => {
          if (!ended) reject(new Error(`${method} ${path}: the connection closed before the answer was complete`));
        });
      });
      for (const chunk of body) req.write(chunk);
      req.end();
    });
  }

  close(): void {
    this.agent.destroy();
  }
}

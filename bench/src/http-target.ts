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
  /** After `logIn`: the Authorization of `/v2` (Basic) and `/v1` (Bearer) requests. */
  private registryAuthorization: { v2: string; v1: string } | undefined;

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

  /**
   * Logs in as a registry client does, with the `authorizationToken` of GetAuthorizationToken
   * (base64 of `AWS:<token>`): from now on `/v2` requests carry `Basic <it>` and `/v1` requests
   * `Bearer <token>`, unless they bring their own Authorization.
   */
  logIn(authorizationToken: string): void {
    const token = Buffer.from(authorizationToken, 'base64').toString('utf8').replace(/^AWS:/, '');
    this.registryAuthorization = { v2: `Basic ${authorizationToken}`, v1: `Bearer ${token}` };
  }

  request(
    method: string,
    path: string,
    headers: http.OutgoingHttpHeaders,
    body: readonly Uint8Array[] = [],
    options: RequestOptions = {},
  ): Promise<HttpResponse> {
    const length = body.reduce((sum, chunk) => sum + chunk.byteLength, 0);
    const login = this.registryAuthorization;
    const authorization =
      login && headers.authorization === undefined
        ? path.startsWith('/v2/')
          ? login.v2
          : path.startsWith('/v1/')
            ? login.v1
            : undefined
        : undefined;
    return new Promise<HttpResponse>((resolve, reject) => {
      const req = this.transport.request({
        agent: this.agent,
        hostname: this.hostname,
        port: this.port,
        method,
        path,
        headers: { ...headers, ...(authorization ? { authorization } : {}), 'content-length': length },
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

  /**
   * Another client of the same endpoint, logged in as this one, with one keep-alive connection of
   * its own (as a separate registry client, e.g. another CI job, would have). Close it after use.
   */
  ownClient(): HttpTarget {
    const client = new HttpTarget(this.endpoint, 1);
    client.registryAuthorization = this.registryAuthorization;
    return client;
  }

  close(): void {
    this.agent.destroy();
  }
}

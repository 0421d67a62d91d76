import http from 'node:http';
import { authenticateRequest } from './longshore-harness.js';

export interface AgentAnswer<T = unknown> {
  status: number;
  body: T;
  /** `Date.now()` when the whole answer had arrived. */
  answeredAt: number;
}

/**
 * One HTTP request through a given `http.Agent` (so a test controls how many sockets, and
 * whether they are kept alive), answered with a JSON body.
 */
export function requestThrough<T>(
  agent: http.Agent,
  url: string,
  options: { method?: string; headers?: Record<string, string>; body?: Uint8Array | string } = {},
): Promise<AgentAnswer<T>> {
  const method = options.method ?? 'GET';
  const signing = authenticateRequest(url, { method, headers: options.headers ?? {}, body: options.body ?? null });
  return signing.then((init) =>
    sendThrough<T>(agent, url, method, Object.fromEntries(new Headers(init.headers)), options.body),
  );
}

function sendThrough<T>(
  agent: http.Agent,
  url: string,
  method: string,
  headers: Record<string, string>,
  body: Uint8Array | string | undefined,
): Promise<AgentAnswer<T>> {
  return new Promise((resolve, reject) => {
    const req = http.request(url, { agent, method, headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('error', reject);
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        try {
          resolve({ status: res.statusCode ?? 0, body: JSON.parse(text) as T, answeredAt: Date.now() });
        } catch {
          reject(
            new Error(
              `${method} ${url} answered ${res.statusCode} with a body that is not JSON: ${text.slice(0, 200)}`,
            ),
          );
        }
      });
    });
    req.on('error', reject);
    req.end(body);
  });
}

/** Runs `task` over `items` with at most `concurrency` at a time; results in input order. */
export async function mapConcurrently<I, O>(
  items: readonly I[],
  concurrency: number,
  task: (item: I, index: number) => Promise<O>,
): Promise<O[]> {
  const results = new Array<O>(items.length);
  let next = 0;
  const lanes = Array.from({ length: Math.min(concurrency, items.length) }, async () => {
    while (next < items.length) {
      const index = next++;
      results[index] = await task(items[index]!, index);
    }
  });
  await Promise.all(lanes);
  return results;
}

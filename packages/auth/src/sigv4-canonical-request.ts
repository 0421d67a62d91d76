import { createHash } from 'node:crypto';

/**
 * SigV4's canonical request, written as the AWS SDK's signer (@smithy/signature-v4) writes it:
 * method, the normalised and twice-escaped path, the sorted escaped query, the signed headers
 * (lower-case names, sorted, values trimmed with inner whitespace collapsed), their names, and
 * the payload hash. `headers` holds exactly the signed headers.
 */
export function canonicalRequest(
  method: string,
  path: string,
  query: Record<string, string | string[]>,
  headers: Record<string, string>,
  payloadSha256: string,
): string {
  const names = Object.keys(headers).sort();
  let lines = '';
  for (const name of names) lines += `${name}:${headers[name]!.trim().replace(/\s+/g, ' ')}\n`;
  return `${method}\n${canonicalPath(path)}\n${canonicalQuery(query)}\n${lines}\n${names.join(';')}\n${payloadSha256}`;
}

/** What is signed: the algorithm, the request's time, its scope and the canonical request's hash. */
export function stringToSign(amzDate: string, scope: string, canonical: string): string {
  return `AWS4-HMAC-SHA256\n${amzDate}\n${scope}\n${createHash('sha256').update(canonical).digest('hex')}`;
}

/** The path without empty and `.` segments, `..` applied, each character escaped twice over (`%2F` kept as `/`). */
function canonicalPath(path: string): string {
  const segments: string[] = [];
  for (const segment of path.split('/')) {
    if (segment === '' || segment === '.') continue;
    if (segment === '..') segments.pop();
    else segments.push(segment);
  }
  const leading = path.startsWith('/') ? '/' : '';
  const trailing = segments.length > 0 && path.endsWith('/') ? '/' : '';
  return escapeUri(`${leading}${segments.join('/')}${trailing}`).replace(/%2F/g, '/');
}

function canonicalQuery(query: Record<string, string | string[]>): string {
  const pairs: [string, string][] = [];
  for (const name of Object.keys(query)) {
    if (name.toLowerCase() === 'x-amz-signature') continue;
    const value = query[name]!;
    const escaped = escapeUri(name);
    if (typeof value === 'string') pairs.push([escaped, `${escaped}=${escapeUri(value)}`]);
    else if (value.length > 0)
      pairs.push([
        escaped,
        value
          .map((v) => `${escaped}=${escapeUri(v)}`)
          .sort()
          .join('&'),
      ]);
  }
  return pairs
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([, pair]) => pair)
    .join('&');
}

/** RFC 3986 escaping, as SigV4 wants it: encodeURIComponent plus `!'()*`. */
function escapeUri(text: string): string {
  return encodeURIComponent(text).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
}

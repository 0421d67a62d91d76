/** A syntactically valid HTTP `Host` header (RFC 9110 §7.2): a host name or IP literal and an optional port. */
export interface HostHeader {
  /** Lower-cased name, or an IPv6 literal in brackets. */
  hostname: string;
  /** The port as written, if any (1–65535). */
  port?: number;
}

const SHAPE = /^(?<hostname>\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9](?:[A-Za-z0-9.-]{0,251}[A-Za-z0-9])?)(?::(?<port>\d{1,5}))?$/;

/**
 * Parses a `Host` header, or returns undefined when it is not one: spaces, paths, user info,
 * an unclosed IPv6 bracket, a port outside 1–65535 (`a b`, `[::1`, `evil:99999`, `x@y`).
 * IPv6 literals are checked by the WHATWG URL parser.
 */
export function parseHostHeader(value: string): HostHeader | undefined {
  const match = SHAPE.exec(value);
  if (!match?.groups) return undefined;
  const { hostname, port } = match.groups as { hostname: string; port?: string };
  if (port !== undefined) {
    const number = Number(port);
    if (number < 1 || number > 65535) return undefined;
  }
  if (hostname.startsWith('[')) {
    try {
      new URL(`http://${hostname}/`);
    } catch {
      return undefined;
    }
  }
  return { hostname: hostname.toLowerCase(), ...(port === undefined ? {} : { port: Number(port) }) };
}

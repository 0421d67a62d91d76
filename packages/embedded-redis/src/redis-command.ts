import { connect } from 'node:net';

/** An error reply (`-ERR ...`, `-LOADING ...`) from Redis. */
export class RedisReplyError extends Error {
  override readonly name = 'RedisReplyError';
}

/** A decoded RESP2 reply; error replies nested in arrays stay values. */
export type RespValue = string | number | null | RedisReplyError | RespValue[];

/**
 * Sends one command over a fresh TCP connection and resolves with its decoded reply; an error
 * reply rejects with RedisReplyError. Just enough RESP to probe and inspect a server without a
 * client library; not meant for application traffic.
 */
export function sendRedisCommand(
  host: string,
  port: number,
  args: readonly string[],
  timeoutMs: number,
): Promise<RespValue> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host, port });
    let received = Buffer.alloc(0);
    const timer = setTimeout(
      () => settle(() => reject(new Error(`no reply from ${host}:${port} within ${timeoutMs} ms`))),
      timeoutMs,
    );
    function settle(outcome: () => void): void {
      clearTimeout(timer);
      socket.destroy();
      outcome();
    }

    socket.on('error', (error) => settle(() => reject(error)));
    socket.on('close', () => settle(() => reject(new Error(`${host}:${port} closed the connection without a reply`))));
    socket.on('data', (chunk: Buffer) => {
      received = Buffer.concat([received, chunk]);
      let reply: ParsedReply | undefined;
      try {
        reply = parseReply(received, 0);
      } catch (error) {
        settle(() => reject(error));
        return;
      }
      if (reply === undefined) return; // incomplete: wait for more bytes
      const { value } = reply;
      settle(() => (value instanceof RedisReplyError ? reject(value) : resolve(value)));
    });
    socket.write(encodeCommand(args));
  });
}

function encodeCommand(args: readonly string[]): string {
  const parts = args.map((arg) => `$${Buffer.byteLength(arg)}\r\n${arg}\r\n`);
  return `*${args.length}\r\n${parts.join('')}`;
}

interface ParsedReply {
  value: RespValue;
  next: number;
}

/** Parses the reply starting at `offset`; undefined when `buffer` does not hold all of it yet. */
function parseReply(buffer: Buffer, offset: number): ParsedReply | undefined {
  const lineEnd = buffer.indexOf('\r\n', offset);
  if (lineEnd === -1) return undefined;
  const line = buffer.toString('utf8', offset + 1, lineEnd);
  const next = lineEnd + 2;
  const type = buffer.toString('latin1', offset, offset + 1);
  switch (type) {
    case '+':
      return { value: line, next };
    case '-':
      return { value: new RedisReplyError(line), next };
    case ':':
      return { value: Number(line), next };
    case '$': {
      const length = Number(line);
      if (length < 0) return { value: null, next };
      const end = next + length;
      if (buffer.length < end + 2) return undefined;
      return { value: buffer.toString('utf8', next, end), next: end + 2 };
    }
    case '*': {
      const count = Number(line);
      if (count < 0) return { value: null, next };
      const items: RespValue[] = [];
      let cursor = next;
      for (let i = 0; i < count; i += 1) {
        const item = parseReply(buffer, cursor);
        if (item === undefined) return undefined;
        items.push(item.value);
        cursor = item.next;
      }
      return { value: items, next: cursor };
    }
    default:
      throw new Error(`unexpected RESP reply type ${JSON.stringify(type)}`);
  }
}

import type { Request } from 'express';
import { SerializationException } from '@longshore/domain';
import { parseLikeBodyParser } from './streamed-part-body.js';

/**
 * The JSON of a body read raw (and already authenticated), decoded and parsed as express.json
 * (`strict: false`) would: the charset of Content-Type (UTF-8 by default, `utf-*` only), an
 * empty body is `{}`, a BOM is dropped. A body that is not JSON is a SerializationException.
 */
export function parseJsonBody(req: Request): unknown {
  const raw: unknown = req.body;
  if (!Buffer.isBuffer(raw)) return {};
  const charset = (
    /;\s*charset\s*=\s*"?([^";\s]+)/i.exec(req.headers['content-type'] ?? '')?.[1] ?? 'utf-8'
  ).toLowerCase();
  let text: string;
  try {
    if (!charset.startsWith('utf-')) throw new Error();
    text = new TextDecoder(charset).decode(raw);
  } catch {
    throw new SerializationException(
      `The request body is not valid JSON: unsupported charset "${charset.slice(0, 32).toUpperCase()}"`,
    );
  }
  try {
    return parseLikeBodyParser(text);
  } catch (err) {
    throw new SerializationException(`The request body is not valid JSON: ${(err as Error).message}`);
  }
}

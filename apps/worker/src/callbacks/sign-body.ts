import { createHmac } from 'node:crypto';

/** `sha256=<hex>` of HMAC-SHA256 over the exact body bytes, as receivers verify it. */
export function signBody(secret: string, body: string): string {
  return `sha256=${createHmac('sha256', secret).update(body).digest('hex')}`;
}

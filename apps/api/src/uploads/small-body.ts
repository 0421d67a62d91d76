import type { Readable } from 'node:stream';
import { bodyTimeout, type BodyDeadlines } from './body-deadlines.js';
import { longBody, shortBody, type StreamLimit } from './part-hasher.js';

/**
 * Reads a small request body of a declared length whole, under the same deadlines and with the
 * same refusals as a streamed part (body-deadlines.ts, part-hasher.ts): a body that stalls or
 * runs too long, one longer or shorter than declared, one over `limit`. A part this small is
 * then written and hashed in one go, like an ECR part, instead of passing chunk by chunk through
 * async generators and coalesced writes. A refused body is destroyed, as a streamed one is.
 */
export function readSmallBody(
  body: Readable,
  length: number,
  deadlines: BodyDeadlines,
  limit: StreamLimit,
): Promise<Buffer> {
  return new Promise<Buffer>((resolve, reject) => {
    const chunks: Buffer[] = [];
    let received = 0;
    const endAt = Date.now() + deadlines.maxMs;
    let timer: NodeJS.Timeout | undefined;
    const arm = () => {
      clearTimeout(timer);
      const left = endAt - Date.now();
      timer = setTimeout(() => fail(bodyTimeout(left, deadlines)), Math.max(0, Math.min(deadlines.idleMs, left)));
    };
    const settle = () => {
      clearTimeout(timer);
      body.off('data', onData).off('end', onEnd).off('error', fail).off('close', onClose);
    };
    const fail = (err: unknown) => {
      settle();
      body.destroy();
      reject(err);
    };
    const onData = (chunk: Buffer) => {
      received += chunk.byteLength;
      if (received > length) fail(longBody(length));
      else if (received > limit.maxBytes) fail(limit.tooLong());
      else {
        chunks.push(chunk);
        arm();
      }
    };
    const onEnd = () => {
      settle();
      if (received < length) reject(shortBody(received, length));
      else resolve(chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, received));
    };
    // The client went away before the body ended.
    const onClose = () => fail(shortBody(received, length));
    body.on('data', onData).on('end', onEnd).on('error', fail).on('close', onClose);
    arm();
  });
}

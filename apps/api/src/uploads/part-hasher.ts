import type { BodyVisitor } from './body-deadlines.js';
import { RequestValidationError } from '@longshore/domain';
import { createPartChecksum, createResumableSha256, PART_CHECKSUM_ALGORITHM } from '@longshore/digest';

export interface PartHashes {
  /**
   * The part's own checksum (`crc32c:<hex>`): checked against the stored bytes before publishing.
   * The layer digest proves the content; this only has to catch a stored part that changed.
   */
  partChecksum: string;
  /** The layer's running SHA-256 state after this part (base64). */
  layerState: string;
}

/** The most bytes a body of unknown length may carry, and the error for one byte more. */
export interface StreamLimit {
  maxBytes: number;
  tooLong(): Error;
}

/** What a streamed part's body is checked and hashed with, chunk by chunk (see `partHashing`). */
export interface PartHashing extends BodyVisitor {
  /** Counts, checks and hashes one chunk; throws when the body is now longer than allowed. */
  take(chunk: Uint8Array): void;
  /**
   * The body ended: throws when it is short of its declared length — before the stream ends, so
   * no driver ever sees a body end short of the length it was told (S3 would wait for the
   * missing bytes until its request timeout).
   */
  ended(): void;
  /** The part's hashes once the body ended; throws when it ended short of its declared length. */
  result(): PartHashes;
  received(): number;
}

/**
 * For raw uploads: feeds each chunk as it passes on its way to storage into the part's own
 * checksum (CRC32C, checked against the stored bytes before publishing) and into the layer's
 * running SHA-256 — and refuses a body longer or shorter than the declared range.
 * Both refusals name the `body` as the offending field (an `InvalidParameterException`).
 * With no declared length the part is whatever the body holds, up to `limit.maxBytes`.
 * The body's one async generator calls it (body-deadlines.ts `withBodyDeadlines`).
 */
export async function partHashing(
  previousState: string,
  expectedLength: number | undefined,
  limit: StreamLimit,
  /** Told of each chunk's size once it is hashed (see IngestHeapGrowth.passed). */
  passed?: (bytes: number) => void,
  /**
   * The boot mark to record instead of a CRC32C (storage's `bootMark`): for a part written into a
   * local file on this machine, which completion fsyncs without reading back (machine-boot.ts).
   */
  bootMark?: string,
): Promise<PartHashing> {
  const hashing = await startHashing(previousState, bootMark);
  let received = 0;
  return {
    take(chunk) {
      received += chunk.byteLength;
      if (expectedLength !== undefined && received > expectedLength) throw longBody(expectedLength);
      if (received > limit.maxBytes) throw limit.tooLong();
      hashing.update(chunk);
      passed?.(chunk.byteLength);
    },
    ended() {
      if (expectedLength !== undefined && received < expectedLength) throw shortBody(received, expectedLength);
    },
    received: () => received,
    result() {
      if (expectedLength !== undefined && received !== expectedLength) throw shortBody(received, expectedLength);
      return hashing.finish();
    },
  };
}

export function longBody(expectedLength: number): RequestValidationError {
  return new RequestValidationError(`The part body is longer than its range of ${expectedLength} bytes`, 'body');
}

export function shortBody(received: number, expectedLength: number): RequestValidationError {
  return new RequestValidationError(`The part body has ${received} bytes, but its range has ${expectedLength}`, 'body');
}

async function startHashing(previousState: string, bootMark: string | undefined) {
  const layer = await createResumableSha256(previousState ? Buffer.from(previousState, 'base64') : undefined);
  const finish = (partChecksum: string): PartHashes => ({
    partChecksum,
    layerState: Buffer.from(layer.save()).toString('base64'),
  });
  if (bootMark !== undefined) {
    return { update: (data: Uint8Array) => layer.update(data), finish: () => finish(bootMark) };
  }
  const part = await createPartChecksum(PART_CHECKSUM_ALGORITHM);
  return {
    update(data: Uint8Array) {
      layer.update(data);
      part.update(data);
    },
    finish: () => finish(part.digest()),
  };
}

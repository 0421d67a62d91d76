import { createHash } from 'node:crypto';
import type { Request, Response } from 'express';
import { SerializationException, ecrType, wireEntry, type LongshoreError } from '@longshore/domain';
import { BlobMemberScanner } from './blob-member-scanner.js';
import type { StagedPartFile } from '@longshore/storage';
import type { DecodeLease } from './decode-buffers.js';
import { PartStaging } from './part-staging.js';
import { notePartArrival } from '../uploads/part-arrival.js';
import type { PartPrehash } from './part-prehash.js';

/*
 * The AWS JSON 1.1 wire of the ECR door: bodies decoded as express.json would (a whole JSON
 * body, or UploadLayerPart's streamed part), results and errors encoded as the SDKs expect.
 */

/** The member of UploadLayerPart's body that carries the part (base64). */
export const PART_BLOB_MEMBER = 'layerPartBlob';

/** What express.json would have put in `req.body`, with the part's bytes decoded beside it. */
export interface StreamedPartBody {
  /** The parsed body; when `blob` is set, its `layerPartBlob` is a stand-in with the same verdict. */
  body: unknown;
  /** The decoded part, when the body carried it as plain canonical base64. */
  blob: Buffer | undefined;
  /** SHA-256 (hex) of the raw body, for SigV4. */
  sha256: string;
  /**
   * Gives `blob`'s memory back for the next part (once the staged writes that read it settled,
   * removing a staged file no part adopted): call once nothing reads the blob any more. Settles
   * once done; calling it again answers the same promise.
   */
  release(): Promise<void>;
}

/** Where a streamed part's decoded bytes go besides the blob (both optional). */
export interface PartBodyMemory {
  /** Lends the buffer the part is decoded into (decode-buffers.ts); fresh memory when absent. */
  buffers?: { take(size: number): DecodeLease };
  /** Opens a staged part file the decoded bytes are written to as they come (part-staging.ts). */
  stagePart?: () => Promise<StagedPartFile>;
  /** Hashes the decoded bytes as they come, from a guessed layer state (part-prehash.ts). */
  prehash?: PartPrehash;
  /**
   * Told the size of each chunk once it is hashed and decoded (IngestHeapGrowth.passed: a minor GC
   * per 8 MiB streamed). The chunks are Buffers outside the V8 heap; with the native decoder
   * nothing else fills the young generation, and without this V8 left them to its external-memory
   * trigger: 80 full mark-compacts per GiB instead of 2, and twice the CPU (ecr25, `--trace-gc`).
   */
  passed?: (bytes: number) => void;
}

/** An error shaped as body-parser's, so the router answers it the same way. */
/**
 * Whether a failed body read was the body's fault (too large, cut off, not JSON, not the coding it
 * names): body-parser's errors, and this module's in their likeness, carry a `type`, or a 4xx
 * `status` (body-parser wraps a decompression failure, a zlib error with no type, as a 400).
 * Anything else is the service's own failure while reading (a hash thread that cannot take the
 * part, say), never the caller's.
 */
export function isBodyReadError(err: unknown): boolean {
  const { type, status } = (err ?? {}) as { type?: unknown; status?: unknown };
  return typeof type === 'string' || (typeof status === 'number' && status >= 400 && status < 500);
}

function bodyParserError(type: 'entity.too.large' | 'entity.parse.failed' | 'request.aborted', message: string) {
  return Object.assign(new Error(message), { type });
}

/**
 * Whether this request's body can be read by `readStreamedPartBody` with the answers
 * express.json would give: no content coding and a UTF-8 (or unnamed) charset. Anything else
 * takes the buffered parser.
 */
export function canStreamPartBody(req: Request): boolean {
  const coding = (req.headers['content-encoding'] ?? 'identity').toLowerCase();
  if (coding !== 'identity') return false;
  const charset = /;\s*charset\s*=\s*"?([^";\s]+)/i.exec(req.headers['content-type'] ?? '')?.[1];
  return charset === undefined || charset.toLowerCase() === 'utf-8';
}

/**
 * Reads an UploadLayerPart body as it streams: the raw bytes are hashed for SigV4, the part's
 * base64 is decoded straight into one buffer, and only the rest of the body is kept and parsed
 * (see blob-member-scanner.ts). Errors are the ones express.json raises for the same body:
 * `entity.too.large` beyond `limit`, `entity.parse.failed` with JSON.parse's own message.
 */
export function readStreamedPartBody(
  req: Request,
  limit: number,
  memory: PartBodyMemory = {},
): Promise<StreamedPartBody> {
  const declared = req.headers['content-length'] === undefined ? undefined : Number(req.headers['content-length']);
  if (declared !== undefined && declared > limit) {
    return Promise.reject(bodyParserError('entity.too.large', 'request entity too large'));
  }
  const hash = createHash('sha256');
  let received = 0;
  const staging = memory.buffers && memory.stagePart ? new PartStaging(memory.stagePart) : undefined;
  const prehash = memory.buffers ? memory.prehash : undefined;
  const scanner = new BlobMemberScanner(
    PART_BLOB_MEMBER,
    declared !== undefined && Number.isSafeInteger(declared) ? declared : undefined,
    memory.buffers,
    staging || prehash
      ? (buffer, length) => {
          staging?.decoded(buffer, length);
          prehash?.decoded(buffer, length);
        }
      : undefined,
  );
  let released: Promise<void> | undefined;
  const release = () => {
    // The memory goes back once no staged write and no hash thread reads it any more.
    released ??= Promise.all([staging?.settled().catch(() => undefined), prehash?.settled()]).then(() =>
      scanner.release(),
    );
    return released;
  };
  return new Promise<StreamedPartBody>((resolve, rejectWith) => {
    // A body refused is answered once its staged file is gone and its decode buffer back.
    const reject = (err: unknown) => void release().then(() => rejectWith(err));
    let settled = false;
    const settle = (outcome: () => void) => {
      if (settled) return;
      settled = true;
      req.off('data', onData).off('end', onEnd).off('error', onError).off('aborted', onAborted);
      outcome();
    };
    const onData = (chunk: Buffer) => {
      received += chunk.length;
      if (received > limit) {
        req.pause();
        settle(() => reject(bodyParserError('entity.too.large', 'request entity too large')));
        return;
      }
      hash.update(chunk);
      try {
        scanner.write(chunk);
      } catch (err) {
        settle(() => reject(err));
        return;
      }
      memory.passed?.(chunk.length);
    };
    const onEnd = () =>
      settle(() => {
        const sha256 = hash.digest('hex');
        try {
          resolve(finish(scanner, sha256, { staging, prehash }, release));
        } catch (err) {
          // As with express.json, a body that is not JSON was still read whole: SigV4 covers it.
          reject(Object.assign(err as Error, { sha256 }));
        }
      });
    const onError = (err: Error) => settle(() => reject(bodyParserError('request.aborted', err.message)));
    const onAborted = () => settle(() => reject(bodyParserError('request.aborted', 'request aborted')));
    req.on('data', onData).on('end', onEnd).on('error', onError).on('aborted', onAborted);
  });
}

function finish(
  scanner: BlobMemberScanner,
  sha256: string,
  { staging, prehash }: { staging?: PartStaging | undefined; prehash?: PartPrehash | undefined },
  release: () => Promise<void>,
): StreamedPartBody {
  const scanned = scanner.finish();
  const text = scanned.text ?? scanned.originalText();
  let body: unknown;
  try {
    body = parseLikeBodyParser(text);
  } catch (err) {
    // The kept text lacks the part: the message must be JSON.parse's for the body as it came.
    const message = scanned.text === undefined ? (err as Error).message : parseErrorOf(scanned.originalText());
    throw bodyParserError('entity.parse.failed', message);
  }
  if (scanned.blob === undefined) {
    void release();
    return { body, blob: undefined, sha256, release };
  }
  notePartArrival(scanned.blob, {
    staged: staging?.finish(scanned.blob.length),
    prehashed: prehash?.finish(scanned.blob),
  });
  const object = body as Record<string, unknown>;
  // A part over the model's bound is refused by the validator, which needs its length: the
  // original text then. Otherwise the empty string passes the blob's checks as the part did.
  if (scanned.blob.length > MAX_PART_BLOB_BYTES) object[PART_BLOB_MEMBER] = scanned.blob.toString('base64');
  return { body, blob: scanned.blob, sha256, release };
}

/** The model's bound on `layerPartBlob` (LayerPartBlob: max 20971520). */
const MAX_PART_BLOB_BYTES = 20_971_520;

/** body-parser's json with `strict: false`: an empty body is `{}`, a UTF-8 BOM is dropped. */
export function parseLikeBodyParser(text: string): unknown {
  const json = text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
  if (json.length === 0) return {};
  return JSON.parse(json);
}

function parseErrorOf(text: string): string {
  try {
    parseLikeBodyParser(text);
    return 'Unexpected end of JSON input';
  } catch (err) {
    return (err as Error).message;
  }
}

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

export const AMZ_JSON = 'application/x-amz-json-1.1';

/** The Content-Type of every ECR answer, as express's `res.type(AMZ_JSON).send(string)` words it. */
const AMZ_JSON_UTF8 = `${AMZ_JSON}; charset=utf-8`;

/** A successful answer: the status and two headers written directly (the hot path: no express `send` chain). */
export function sendEcrResult(res: Response, body: object): void {
  const json = JSON.stringify(body);
  res.statusCode = 200;
  res.setHeader('Content-Type', AMZ_JSON_UTF8);
  res.setHeader('Content-Length', Buffer.byteLength(json));
  res.end(json);
}

/**
 * AWS JSON 1.1 error: the name in `x-amzn-ErrorType` and `__type`, the message and the
 * exception's modeled fields in the body, so the SDKs raise the named class with its fields.
 * Answered through sendError (errors/send-error.ts), which adds `Retry-After`.
 */
export function sendEcrError(res: Response, error: LongshoreError): void {
  const type = ecrType(error.name);
  res
    .status(wireEntry(error.name).ecrStatus)
    .type(AMZ_JSON)
    .set('x-amzn-ErrorType', type)
    .send(JSON.stringify({ __type: type, message: error.message, ...error.fields }));
}

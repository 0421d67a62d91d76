import { Readable } from 'node:stream';
import { INLINE_HASH_MAX_BYTES } from '@longshore/domain';
import { computePartHashes, type HashPool } from '@longshore/digest';
import { bootMark, type StorageDriver, type UploadSession } from '@longshore/storage';
import { withBodyDeadlines, type BodyDeadlines } from './body-deadlines.js';
import { type IngestHeapGrowth, unmanagedHeapGrowth } from './ingest-heap-growth.js';
import { partHashing, type PartHashes, type StreamLimit } from './part-hasher.js';
import { readSmallBody } from './small-body.js';
import { partArrivalOf } from './part-arrival.js';

export interface PartWriterDeps {
  storage: StorageDriver;
  hashPool: Pick<HashPool, 'ingestPart' | 'hashPart'>;
  bodyDeadlines: BodyDeadlines;
  /** V8's own heap growth while a large body streams in (see ingest-heap-growth.ts). */
  heapGrowth?: IngestHeapGrowth;
  /**
   * This machine's boot id (storage's `currentBootId`): a part streamed into a local file is
   * recorded with it instead of a CRC32C (machine-boot.ts). Undefined: every part gets its CRC32C.
   */
  bootId?: string | undefined;
}

/** A claimed part as stored: its size, the driver's receipt, and both hashes. */
export interface StoredPart {
  size: number;
  receipt: string;
  hashes: PartHashes;
  /**
   * A part from memory whose bytes went straight to the disk (the ECR door's staged file, written
   * with O_DIRECT): its flush has only metadata and a tail left, so it may wait for a batch.
   */
  writtenDirect?: boolean;
}

export interface ClaimedPart {
  session: UploadSession;
  /** The claim's own storage part number. */
  partNumber: number;
  /** The layer's saved SHA-256 state before this part (base64; '' at the start). */
  hashState: string;
}

/**
 * Writes a claimed part into its own storage part and hashes it on the way: the part's own
 * checksum and the layer's running digest. A streamed body is bounded by the body deadlines and
 * by `limit`, and must match `declared` when the length was declared.
 */
export async function writeClaimedPart(
  deps: PartWriterDeps,
  claimed: ClaimedPart,
  data: Uint8Array | AsyncIterable<Uint8Array>,
  declared: number | undefined,
  limit: StreamLimit,
): Promise<StoredPart> {
  if (data instanceof Uint8Array) return ingestBuffer(deps, claimed, data);
  if (data instanceof Readable && declared !== undefined && declared > 0 && declared <= INLINE_HASH_MAX_BYTES) {
    // A small request body (a typical layer pushed in one PUT) is read whole, then written and hashed in one go.
    return ingestBuffer(deps, claimed, await readSmallBody(data, declared, deps.bodyDeadlines, limit));
  }
  const heapGrowth = deps.heapGrowth ?? unmanagedHeapGrowth;
  const hashing = await partHashing(claimed.hashState, declared, limit, heapGrowth.passed, localPartMark(deps));
  // One async generator between the request and the file: deadlines, length checks and hashes.
  const body = withBodyDeadlines(data, deps.bodyDeadlines, hashing);
  const written = await heapGrowth.during(() =>
    deps.storage.writePart(claimed.session, claimed.partNumber, body, declared),
  );
  return { size: written.size, receipt: written.receipt, hashes: hashing.result() };
}

/**
 * The mark a part written into a local file on this machine is recorded with instead of a CRC32C
 * (machine-boot.ts); undefined when parts are not local files or the boot is not known.
 */
function localPartMark(deps: Pick<PartWriterDeps, 'storage' | 'bootId'>): string | undefined {
  return deps.storage.localParts && deps.bootId !== undefined ? bootMark(deps.bootId) : undefined;
}

/** Whether a large part in memory is recorded with this boot's mark (a local file, a known boot). */
export function largePartsBootMarked(deps: Pick<PartWriterDeps, 'storage' | 'bootId'>): boolean {
  return localPartMark(deps) !== undefined;
}

/**
 * A whole part in memory (the ECR JSON door). Large parts are hashed on the hash pool's threads;
 * a part in memory of its own moves to the thread, which also writes it when the driver has
 * local files, so the API's event loop only moves bytes.
 */
async function ingestBuffer(deps: PartWriterDeps, claimed: ClaimedPart, data: Uint8Array): Promise<StoredPart> {
  const { storage, hashPool } = deps;
  const { session, partNumber } = claimed;
  const size = data.byteLength;
  const layerState = claimed.hashState ? Buffer.from(claimed.hashState, 'base64') : new Uint8Array();
  const local = storage.localParts;
  // A large part in a local file carries this boot, as a streamed one does (machine-boot.ts): its
  // flush is batched, and completion needs no read-back. A small one keeps its CRC32C (no flush job).
  const mark = size > INLINE_HASH_MAX_BYTES ? localPartMark(deps) : undefined;
  let receipt = '';
  let writtenDirect = false;
  let result: { partChecksum: string; layerState: Uint8Array };
  if (size <= INLINE_HASH_MAX_BYTES) {
    // A small part costs less to hash here (well under a millisecond) than to hand to a thread.
    let written: { receipt: string };
    [written, result] = await Promise.all([
      storage.writePart(session, partNumber, data, size),
      computePartHashes(data, layerState),
    ]);
    receipt = written.receipt;
  } else if (local && partArrivalOf(data).staged) {
    let written: { receipt: string; direct?: boolean };
    [written, result] = await adoptWhileHashing(deps, claimed, data, layerState, mark);
    receipt = written.receipt;
    writtenDirect = written.direct === true;
  } else if (local && !(data.buffer instanceof SharedArrayBuffer)) {
    // The data moves to the thread (storage's writePartFileSync writes it there): it must not be used here afterwards.
    result = await hashPool.ingestPart({ path: local.partPath(session, partNumber), data, layerState });
  } else {
    let written: { receipt: string };
    [written, result] = await writeWhileHashing(deps, claimed, data, layerState, mark);
    receipt = written.receipt;
  }
  return {
    size,
    receipt,
    hashes: {
      partChecksum: mark ?? result.partChecksum,
      layerState: Buffer.from(result.layerState).toString('base64'),
    },
    ...(writtenDirect ? { writtenDirect } : {}),
  };
}

/**
 * Writes the part (storage's own write, off the event loop) while a hash thread hashes it: for
 * drivers without local files, and for memory shared with the thread (a decode buffer the ECR
 * door reuses, decode-buffers.ts), which the thread reads in place. The two run at once (writing
 * 10 MiB into the page cache takes ~20 ms on a disk that throttles, hashing it ~8), and both are
 * settled before this returns: the caller reuses the memory only once neither reads it.
 */
async function writeWhileHashing(
  deps: PartWriterDeps,
  claimed: ClaimedPart,
  data: Uint8Array,
  layerState: Uint8Array,
  mark: string | undefined,
): Promise<[{ receipt: string }, { partChecksum: string; layerState: Uint8Array }]> {
  const [written, hashed] = await Promise.allSettled([
    deps.storage.writePart(claimed.session, claimed.partNumber, data, data.byteLength),
    hashInMemory(deps, claimed, data, layerState, mark),
  ]);
  if (written.status === 'rejected') throw written.reason;
  if (hashed.status === 'rejected') throw hashed.reason;
  return [written.value, hashed.value];
}

/**
 * A part the ECR door already wrote to a staged file as its body arrived (part-arrival.ts):
 * the file becomes the part's while a hash thread hashes the bytes in memory. When adoption
 * fails (the staging broke, the part file exists, the upload is gone), the bytes are written as
 * any other part's, with the driver's own answer to what went wrong.
 */
async function adoptWhileHashing(
  deps: PartWriterDeps,
  claimed: ClaimedPart,
  data: Uint8Array,
  layerState: Uint8Array,
  mark: string | undefined,
): Promise<[{ receipt: string; direct?: boolean }, { partChecksum: string; layerState: Uint8Array }]> {
  const { storage } = deps;
  const partPath = storage.localParts!.partPath(claimed.session, claimed.partNumber);
  const [adopted, hashed] = await Promise.allSettled([
    partArrivalOf(data).staged!.adopt(partPath),
    hashInMemory(deps, claimed, data, layerState, mark),
  ]);
  if (hashed.status === 'rejected') throw hashed.reason;
  if (adopted.status === 'fulfilled' && adopted.value)
    return [{ receipt: '', direct: adopted.value.direct }, hashed.value];
  const written = await storage.writePart(claimed.session, claimed.partNumber, data, data.byteLength);
  return [written, hashed.value];
}

/**
 * Both hashes of a part in memory, on a hash thread: the ones its body's reader already advanced
 * as the bytes arrived (part-arrival.ts) when they started from the claim's very layer state,
 * else computed now from the claim's state. Correctness never rests on the reader's guess.
 */
async function hashInMemory(
  deps: PartWriterDeps,
  claimed: ClaimedPart,
  data: Uint8Array,
  layerState: Uint8Array,
  mark: string | undefined,
): Promise<{ partChecksum: string; layerState: Uint8Array }> {
  const { prehashed } = partArrivalOf(data);
  const advanced = prehashed?.from === claimed.hashState ? await prehashed.hashes() : undefined;
  // Hashes advanced without the CRC32C (partChecksum '') serve only a part recorded with a mark.
  const guessed = advanced && (advanced.partChecksum !== '' || mark !== undefined) ? advanced : undefined;
  const hashes = guessed ?? (await deps.hashPool.hashPart({ data, layerState }));
  prehashed?.hashed(hashes.layerState, guessed !== undefined);
  return hashes;
}

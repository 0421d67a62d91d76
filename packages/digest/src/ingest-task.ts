import { createHash } from 'node:crypto';
import { closeSync, constants, mkdirSync, openSync, writeSync } from 'node:fs';
import { dirname } from 'node:path';
import { createSHA256, type IHasher } from 'hash-wasm';

/** A part on its way into storage, handled on a pool thread: written, then hashed twice. */
export interface IngestPartTask {
  /** Absolute path of the upload's data file. */
  path: string;
  offset: number;
  data: Uint8Array;
  /** The layer's saved SHA-256 state before this part (empty at the start). */
  layerState: Uint8Array;
}

export interface IngestPartResult {
  partSha256: string;
  layerState: Uint8Array;
}

let hasher: IHasher | undefined;

/**
 * Writes the part at its offset and computes its own checksum and the layer's running state.
 * Off the API's event loop, so a 20 MiB part never stalls other requests.
 */
export async function ingestPart(task: IngestPartTask): Promise<IngestPartResult> {
  mkdirSync(dirname(task.path), { recursive: true });
  const fd = openSync(task.path, constants.O_WRONLY | constants.O_CREAT, 0o644);
  try {
    let written = 0;
    while (written < task.data.byteLength) {
      written += writeSync(fd, task.data, written, task.data.byteLength - written, task.offset + written);
    }
  } finally {
    closeSync(fd);
  }
  return hashPartTask(task);
}

/** The two hashes alone, for drivers without local files (the caller writes). */
export async function hashPartTask(task: Pick<IngestPartTask, 'data' | 'layerState'>): Promise<IngestPartResult> {
  hasher ??= await createSHA256();
  if (task.layerState.byteLength > 0) hasher.load(task.layerState);
  else hasher.init();
  hasher.update(task.data);
  const layerState = hasher.save();
  const partSha256 = createHash('sha256').update(task.data).digest('hex');
  return { partSha256, layerState };
}

import { createHash, randomFillSync } from 'node:crypto';
import { mkdtemp, open, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { loadNativeSha256 } from '@longshore/digest';
import { createSHA256 } from 'hash-wasm';
import { median, megabytesPerSecond, MiB } from './stats.js';

/** The machine's own speeds, measured in the same run, that the service's figures are divided by. */
export interface MachineReference {
  cpus: number;
  cpuModel: string;
  node: string;
  /** node:crypto SHA-256 on one thread (1 MiB updates), median of three. */
  sha256MBps: number;
  /** hash-wasm SHA-256 on one thread: the resumable layer hash where the native addon is not built. */
  hashWasmMBps: number;
  /**
   * The native resumable SHA-256 of packages/digest (OpenSSL through the addon) on one thread, or
   * undefined when the addon was not built: then the service's layer digest runs on hash-wasm.
   */
  nativeSha256MBps?: number;
  /** Sequential write of fresh data with one fsync at the end, on the data directory's filesystem. */
  diskMBps: number;
  diskPath: string;
  /** 1-minute load average when the references were taken: other work on the machine skews everything. */
  loadAverage: number;
}

const CHUNK = MiB;
const SHA256_TRIALS = 3;
const DISK_CHUNK = 4 * MiB;

export async function measureMachine(
  sizes: { sha256ReferenceBytes: number; diskReferenceBytes: number },
  dataRoot: string,
): Promise<MachineReference> {
  const chunk = randomFillSync(Buffer.allocUnsafe(CHUNK));
  const chunks = Math.max(1, Math.round(sizes.sha256ReferenceBytes / CHUNK));
  const trials = Array.from({ length: SHA256_TRIALS }, () => sha256Rate(chunk, chunks));
  return {
    cpus: os.availableParallelism(),
    cpuModel: os.cpus()[0]?.model.trim() ?? 'unknown',
    node: process.version,
    sha256MBps: median(trials),
    hashWasmMBps: await hashWasmRate(chunk, Math.max(1, Math.round(chunks / 4))),
    ...nativeRate(chunk, chunks),
    diskMBps: await diskWriteRate(dataRoot, sizes.diskReferenceBytes),
    diskPath: dataRoot,
    loadAverage: os.loadavg()[0] ?? Number.NaN,
  };
}

/**
 * A shorter node:crypto SHA-256 measurement (median of three trials of `bytes`), taken right
 * before each scenario run so that its rates are divided by what the machine could do then.
 */
export function measureSha256(bytes: number): number {
  const chunk = randomFillSync(Buffer.allocUnsafe(CHUNK));
  const chunks = Math.max(1, Math.round(bytes / CHUNK));
  return median(Array.from({ length: SHA256_TRIALS }, () => sha256Rate(chunk, chunks)));
}

function sha256Rate(chunk: Buffer, chunks: number): number {
  const started = performance.now();
  const hash = createHash('sha256');
  for (let i = 0; i < chunks; i += 1) hash.update(chunk);
  hash.digest();
  return megabytesPerSecond(chunk.length * chunks, performance.now() - started);
}

async function hashWasmRate(chunk: Buffer, chunks: number): Promise<number> {
  const hasher = await createSHA256();
  hasher.init();
  const started = performance.now();
  for (let i = 0; i < chunks; i += 1) hasher.update(chunk);
  hasher.digest('hex');
  return megabytesPerSecond(chunk.length * chunks, performance.now() - started);
}

/** The native resumable SHA-256 (the service's layer digest where the addon is built), one context. */
function nativeRate(chunk: Buffer, chunks: number): { nativeSha256MBps?: number } {
  const native = loadNativeSha256();
  if (!native) return {};
  const started = performance.now();
  const ctx = native.init();
  for (let i = 0; i < chunks; i += 1) native.update(ctx, chunk);
  native.digest(ctx);
  return { nativeSha256MBps: megabytesPerSecond(chunk.length * chunks, performance.now() - started) };
}

async function diskWriteRate(dataRoot: string, bytes: number): Promise<number> {
  const dir = await mkdtemp(path.join(dataRoot, 'longshore-bench-disk-'));
  try {
    // Distinct random chunks, so neither compression nor deduplication flatters the figure.
    const buffers = Array.from({ length: 4 }, () => randomFillSync(Buffer.allocUnsafe(DISK_CHUNK)));
    const file = await open(path.join(dir, 'reference.bin'), 'w');
    const started = performance.now();
    try {
      let written = 0;
      for (let i = 0; written < bytes; i += 1) {
        // Each pass writes at least one byte or throws, so this ends.
        const buffer = buffers[i % buffers.length]!;
        const length = Math.min(buffer.length, bytes - written);
        const { bytesWritten } = await file.write(buffer, 0, length, written);
        if (bytesWritten <= 0) throw new Error(`the disk reference write made no progress at byte ${written}`);
        written += bytesWritten;
      }
      await file.sync();
    } finally {
      await file.close();
    }
    return megabytesPerSecond(bytes, performance.now() - started);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

export {
  digestAlgorithmOf,
  parseOciDigest,
  parseSha256Digest,
  sha256Digest,
  type DigestAlgorithm,
  type ParsedDigest,
} from './digest.js';
export {
  createResumableSha256,
  sha256Implementation,
  HashStateLostError,
  type ResumableSha256,
} from './digest.js';
export { hashStateFormat, LOST_HASH_STATE, type HashStateFormat } from './digest.js';
export { createSha256Engines, type Sha256Engines, type LayerHasher } from './digest.js';
export { loadNativeSha256, type NativeSha256Binding } from './digest.js';
export { createHashPool, type HashPool } from './hash-pool.js';
export type { AdvancePartTask, ChecksumFileRangeTask, HashFileRangeTask, HashFileRangesTask } from './hash-task.js';
export { advancePartProgress, partHashesOf, partProgressAvailable, type PartProgress } from './part-progress.js';
export {
  createPartChecksum,
  partChecksumAlgorithm,
  partChecksumOf,
  crc32cImplementation,
  type PartChecksum,
  type PartChecksumAlgorithm,
  PART_CHECKSUM_ALGORITHM,
} from './part-checksum.js';
export type { IngestPartTask, IngestPartResult } from './ingest-task.js';
export { computePartHashes, advanceLayerState, digestFromState, type PartHashes } from './part-checksum.js';
export { collectYoungGarbage, v8Gc, type V8Gc } from './thread-gc.js';
export { loadNativeBase64, nativeBase64Decode, type Base64Decode } from './native-base64.js';

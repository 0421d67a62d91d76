export { parseSha256Digest, sha256Digest, type ParsedDigest } from './digest.js';
export { createResumableSha256, type ResumableSha256 } from './resumable-sha256.js';
export { createHashPool, type HashPool } from './hash-pool.js';
export type { HashFileRangeTask, HashFileRangesTask } from './hash-task.js';
export type { IngestPartTask, IngestPartResult } from './ingest-task.js';
export { computePartHashes, advanceLayerState, digestFromState, type PartHashes } from './part-hashes.js';

import type { StoredPart } from './part-receipt.js';

/** One part of the completed multipart upload, and how it gets there. */
export type PlannedPart =
  /** Already in the multipart upload: named in the completion as is. */
  | { action: 'use'; partNumber: number; etag: string }
  /** One staged object of at least the minimum size, or the last: UploadPartCopy, inside the store. */
  | { action: 'copy'; partNumber: number; source: StoredPart }
  /** Consecutive small staged objects: read back and uploaded once as one part. */
  | { action: 'concatenate'; partNumber: number; sources: StoredPart[]; size: number };

/**
 * Maps the committed parts, in order, onto multipart-upload parts that satisfy S3's rule (every
 * part but the last at least `minPartSize`). Direct parts (always >= minPartSize) are used as
 * written; each run of consecutive staged parts becomes one part (a lone staged object that may
 * stand alone, being large enough or last, is copied inside the store), numbered by the run's first
 * part (a number the multipart upload has not used: that claim's part went to staging). Returns
 * undefined when a run too small to stand alone is followed by a direct part: the bytes of a
 * direct part cannot be read back before completion to merge them.
 */
export function planCompletion(parts: readonly StoredPart[], minPartSize: number): PlannedPart[] | undefined {
  const plan: PlannedPart[] = [];
  let run: StoredPart[] = [];
  const flushRun = (last: boolean): void => {
    const [first] = run;
    if (first === undefined) return;
    const size = run.reduce((sum, part) => sum + part.size, 0);
    // A lone staged object is copied inside the store when it may stand as a part on its own.
    if (run.length === 1 && (size >= minPartSize || last))
      plan.push({ action: 'copy', partNumber: first.partNumber, source: first });
    else plan.push({ action: 'concatenate', partNumber: first.partNumber, sources: run, size });
    run = [];
  };
  for (const part of parts) {
    if (part.kind === 'staged') {
      run.push(part);
      continue;
    }
    flushRun(false);
    plan.push({ action: 'use', partNumber: part.partNumber, etag: part.etag });
  }
  flushRun(true);
  const tooSmall = plan.slice(0, -1).some((part) => part.action === 'concatenate' && part.size < minPartSize);
  return tooSmall ? undefined : plan;
}

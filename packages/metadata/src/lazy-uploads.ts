import type { Cluster, Redis } from 'ioredis';
import type { Keys } from './keys.js';
import { materializeUpload } from './scripts/materialize-upload.js';
import type { UploadIds, UploadOwner } from './upload-ids.js';
import type { UploadRecord } from './upload-record.js';
import {
  initialFields,
  parseUploadRecord,
  type PartPolicy,
  type UploadLimits,
  type UploadRef,
} from './upload-store.js';

export interface LazyUploadsOptions {
  ids: UploadIds;
  /** The storage session an upload has without being made (StorageDriver.plannedSession), as JSON. */
  sessionOf(uploadId: string): string;
  /** The part-size policies an issued id may name, by index: an upload of another policy gets a record. */
  policies: PartPolicy[];
}

/** How far an issuing process's clock may run ahead of this one's. */
const CLOCK_SKEW_MS = 5 * 60_000;

/**
 * Uploads started without a durable write: initiate answers an id that carries its own facts
 * (UploadIds: owner, issue time, policy, under an HMAC), and the upload's record is made by the
 * first script that needs it (materializeUpload, sent just before it in the same pipeline).
 * Until then the upload reads as a fresh one (`record`), for its owner only, and only within its
 * life: no longer than UPLOAD_TTL_SECONDS (an idle record would have expired by then) nor
 * STATUS_RETENTION_SECONDS (a finished record is kept at least that long after the issue) past
 * its issue, so an upload that expired or finished is never made again; an aborted one leaves a
 * tombstone for as long (abortUpload).
 */
export class LazyUploads {
  private readonly lifeMs: number;

  constructor(
    private readonly redis: Redis | Cluster,
    private readonly keys: Keys,
    limits: UploadLimits,
    private readonly options: LazyUploadsOptions,
  ) {
    this.lifeMs = Math.min(limits.uploadTtlSeconds, limits.statusRetentionSeconds) * 1000;
    this.ttlSeconds = limits.uploadTtlSeconds;
  }

  private readonly ttlSeconds: number;

  /** A new upload's record without writing it, or undefined when `policy` is not one an id can name. */
  issue(owner: UploadOwner, policy: PartPolicy, now = Date.now()): UploadRecord | undefined {
    const index = this.options.policies.findIndex((p) => samePolicy(p, policy));
    if (index < 0) return undefined;
    const uploadId = this.options.ids.issue(owner, index, now);
    return this.record({ ...owner, uploadId }, now);
  }

  /** The record an issued upload of `ref` has before it is made; undefined for any other id. */
  record(ref: UploadRef, now = Date.now()): UploadRecord | undefined {
    const fields = this.fields(ref, now);
    return fields ? parseUploadRecord(fields, now) : undefined;
  }

  /**
   * Makes the record of an issued upload of `ref` unless it has one or ended (materializeUpload);
   * nothing for any other id. Call it right before the script that needs the record, without
   * waiting in between, so both go out in one pipeline.
   */
  materialize(ref: UploadRef, now = Date.now()): Promise<unknown> {
    const fields = this.fields(ref, now);
    if (!fields) return Promise.resolve(0);
    // EVAL with its body, never EVALSHA: a NOSCRIPT answer would send it again after the script
    // that needs the record had run without it (runScript's retry).
    const keys = [this.keys.upload(ref.uploadId), this.keys.uploadTombstone(ref.uploadId)];
    return this.redis.eval(
      materializeUpload.lua,
      keys.length,
      ...keys,
      this.ttlSeconds,
      ...Object.entries(fields).flat(),
    );
  }

  private fields(ref: UploadRef, now: number): Record<string, string> | undefined {
    const issued = this.options.ids.read(ref.uploadId, ref);
    if (!issued) return undefined;
    const policy = this.options.policies[issued.policy];
    if (!policy || now - issued.createdAt > this.lifeMs || issued.createdAt > now + CLOCK_SKEW_MS) return undefined;
    return initialFields(ref.uploadId, ref, policy, this.options.sessionOf(ref.uploadId), issued.createdAt);
  }
}

const samePolicy = (a: PartPolicy, b: PartPolicy) =>
  a.minPartSize === b.minPartSize && a.maxPartSize === b.maxPartSize && !!a.allowEmpty === !!b.allowEmpty;

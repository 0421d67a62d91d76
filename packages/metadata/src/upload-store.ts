import { randomUUID } from 'node:crypto';
import { Cluster, type Redis } from 'ioredis';
import { MAX_PART_NUMBER, RefusedError, type RefusalRecord, readRefusalRecord } from '@longshore/domain';
import type { Keys } from './keys.js';
import { type LuaScript, runScript, runScriptThen } from './keys.js';
import { abortUpload } from './scripts/abort-upload.js';
import { beginCompletion } from './scripts/begin-completion.js';
import { claimPart } from './scripts/claim-part.js';
import { commitLastPart } from './scripts/commit-last-part.js';
import { commitPart } from './scripts/commit-part.js';
import { commitUnclaimedLastPart, commitUnclaimedPart } from './scripts/commit-unclaimed-part.js';
import { initiateUpload } from './scripts/initiate-upload.js';
import { initiateInRepository } from './single-redis/initiate-in-repository.js';
import { commitUnclaimedPartInRepository } from './single-redis/commit-unclaimed-part-in-repository.js';
import type { RepositoryRecord } from './repository-store.js';
import { discardUpload } from './scripts/discard-upload.js';
import { recordOutcome } from './scripts/record-outcome.js';
import { releaseClaim } from './scripts/release-claim.js';
import { startFinalizing } from './scripts/start-finalizing.js';
import type { PartRecord, UploadAnnouncement, UploadRecord, UploadStatus } from './upload-record.js';

export interface UploadLimits {
  /** The ECR policy: uploads initiated without a policy of their own get these part sizes. */
  minPartSize: number;
  maxPartSize: number;
  maxParts: number;
  maxLayerSize: number;
  partLockMs: number;
  uploadTtlSeconds: number;
  statusRetentionSeconds: number;
}

/**
 * What a part written without a claim is judged and written from (unclaimedPartNumber): the
 * upload's record as read, or as the process that last wrote it left it (see commitUnclaimedPart).
 */
export type UnclaimedPartStart = Pick<
  UploadRecord,
  | 'uploadId'
  | 'repositoryName'
  | 'registryId'
  | 'status'
  | 'partInFlight'
  | 'storageSession'
  | 'nextPartNumber'
  | 'maxPartSize'
  | 'partsReceived'
  | 'bytesReceived'
  | 'hashState'
>;

export interface UploadRef {
  uploadId: string;
  repositoryName: string;
  registryId: string;
}

/**
 * The part sizes one upload accepts, fixed at initiate and stored with its record, so every API
 * process enforces the same. ECR and /v1: MIN_PART_SIZE..MAX_PART_SIZE; OCI /v2: 0..MAX_LAYER_SIZE
 * (a chunk may be any size, and one PATCH or PUT may carry a whole layer).
 */
export interface PartPolicy {
  /** Smallest part allowed except the last one. */
  minPartSize: number;
  /** Largest part. */
  maxPartSize: number;
  /** Whether the upload may complete with no bytes at all (OCI: the empty blob); ECR: never. */
  allowEmpty?: boolean;
}

export interface PartClaim {
  token: string;
  /** The storage part number this claim writes: its own, never used by another claim. */
  partNumber: number;
  /** The upload's storage session (JSON), as stored at initiate. */
  storageSession: string;
  /** The saved SHA-256 state after the bytes already received (base64; '' at the start). */
  hashState: string;
  /** The upload's largest part (its policy's `maxPartSize`). */
  maxPartSize: number;
}

export interface InitiateOptions {
  /** The part sizes this upload accepts (default: the ECR policy of the limits). */
  policy?: PartPolicy;
  /** The upload id, when the caller made it first (to start the storage session). */
  uploadId?: string;
  /** The upload's storage session (JSON), stored with its record. */
  storageSession?: string;
  now?: number;
}

export type CompletionStart = { outcome: 'queued' } | { outcome: 'already'; status: UploadStatus };

/**
 * What a completion checks in slots other than the upload's: whether the repository exists and
 * the first of the requested digests it already links ('' for none). Read in one round trip
 * (UploadStore.completionFacts), by the store itself or by a caller that reads them together with
 * the upload's record, then handed to the upload's own script.
 */
export interface CompletionFacts {
  repositoryExists: boolean;
  linkedDigest: string;
}

/** How the last part's commit went (commitLastPart): not committed, and why; or the completion's start. */
export type LastPartStart = CompletionStart | { outcome: 'not-committed'; refusal: RefusedError };

export interface CompletionOptions {
  jobId: string;
  layerDigests: string[];
  callbackUrl?: string;
  /** The finalize job to add right behind the completion's script (see JobBehind). */
  jobBehind?: JobBehind;
}

/**
 * A finalize job added right behind the first script that may begin a completion, on the same
 * connection (the queue's, on a single Redis), so Redis runs the script first and one AOF fsync
 * covers both: a round trip less than adding it after the script's answer. The store sends the
 * script on `connection`, calls `add` once, and says in `queuedAhead` whether that script, run
 * as sent, is the one that queued the upload (so the job finds it queued).
 */
export interface JobBehind {
  connection: Redis;
  add(): void;
  /** Set by the store once `add` was called: whether the script ahead of the job queued the upload. */
  queuedAhead?: boolean;
}

/** The parts of an upload checked in the background (by their part numbers), good and bad. */
export interface CheckedParts {
  ok: Set<number>;
  bad: number[];
}

/** What a finalize job finds when it takes an upload up (UploadStore.startFinalizing). */
export interface FinalizingStart {
  status: UploadStatus | 'missing' | 'elsewhere';
  /** The record: when the status is 'finalizing', 'completed' or 'failed'. */
  record?: UploadRecord;
  /** The committed parts, in order ('finalizing' only; otherwise empty). */
  parts: PartRecord[];
  /** The background checks of stored parts ('finalizing' only; otherwise none). */
  checked: CheckedParts;
}

/** Uploads from initiate to their final status: every transition is one atomic script. */
export class UploadStore {
  constructor(
    private readonly redis: Redis | Cluster,
    private readonly keys: Keys,
    private readonly limits: UploadLimits,
  ) {}

  async initiate(repositoryName: string, registryId: string, options: InitiateOptions = {}): Promise<UploadRecord> {
    const { key, fields } = this.initialRecord(repositoryName, registryId, options);
    await runScript(
      this.redis,
      initiateUpload,
      [key],
      [this.limits.uploadTtlSeconds, ...Object.entries(fields).flat()],
    );
    return parseUploadRecord(fields)!;
  }

  /**
   * Whether initiateInRepository and commitUnclaimedPartInRepository can read the repository in
   * the upload's own script (a single Redis).
   */
  get initiatesInRepository(): boolean {
    return !(this.redis instanceof Cluster);
  }

  /**
   * initiate, if the repository exists, in the same script that reads the repository's record:
   * one round trip for both (a `/v2` POST that creates missing repositories). `missing` when it
   * does not (nothing written); `unsupported` on a Redis Cluster, whose repositories hash is in
   * another slot than the upload's record (read the repository, then initiate, as before).
   */
  async initiateInRepository(
    repositoryName: string,
    registryId: string,
    options: InitiateOptions = {},
  ): Promise<{ record: UploadRecord; repository: RepositoryRecord } | 'missing' | 'unsupported'> {
    if (!this.initiatesInRepository) return 'unsupported';
    const { key, fields } = this.initialRecord(repositoryName, registryId, options);
    const repository = await runScript<string | null>(
      this.redis,
      initiateInRepository,
      [key, this.keys.repositories],
      [this.limits.uploadTtlSeconds, repositoryName, ...Object.entries(fields).flat()],
    );
    if (!repository) return 'missing';
    return { record: parseUploadRecord(fields)!, repository: JSON.parse(repository) as RepositoryRecord };
  }

  /** A new upload's key and the fields of its record. */
  private initialRecord(repositoryName: string, registryId: string, options: InitiateOptions) {
    const { uploadId = randomUUID(), now = Date.now() } = options;
    const policy: PartPolicy = options.policy ?? this.limits;
    const fields = {
      uploadId,
      repositoryName,
      registryId,
      status: 'uploading',
      minPartSize: String(policy.minPartSize),
      maxPartSize: String(policy.maxPartSize),
      allowEmpty: policy.allowEmpty ? '1' : '0',
      ...(options.storageSession ? { storageSession: options.storageSession } : {}),
      bytesReceived: '0',
      partsReceived: '0',
      attempts: '0',
      createdAt: String(now),
      updatedAt: String(now),
    };
    return { key: this.keys.upload(uploadId), fields };
  }

  async get(uploadId: string): Promise<UploadRecord | undefined> {
    return parseUploadRecord(await this.redis.hgetall(this.keys.upload(uploadId)));
  }

  async getMany(uploadIds: string[]): Promise<(UploadRecord | undefined)[]> {
    const pipeline = this.redis.pipeline();
    for (const id of uploadIds) pipeline.hgetall(this.keys.upload(id));
    const results = (await pipeline.exec()) ?? [];
    return results.map(([err, flat]) => (err ? undefined : parseUploadRecord(flat as Record<string, string>)));
  }

  async parts(uploadId: string): Promise<PartRecord[]> {
    return (await this.redis.lrange(this.keys.uploadParts(uploadId), 0, -1)).map(parsePartRecord);
  }

  /**
   * Reserves the upload for the part [first, last], or throws RefusedError saying why not.
   * `last` and `length` are undefined for a streamed part of unknown length (it ends with its body).
   */
  async claimPart(
    ref: UploadRef,
    first: number,
    last: number | undefined,
    length: number | undefined,
    now = Date.now(),
    repositoryExists?: boolean,
  ): Promise<PartClaim> {
    const token = randomUUID();
    // The repository is another slot's: read alongside the claim, in the same round trip (a claim
    // taken for a repository that turns out missing is released at once; see claim-part.ts).
    const [exists, [code, value, maxPartSize, partNumber, storageSession]] = await Promise.all([
      repositoryExists ?? this.repositoryExists(ref.repositoryName),
      runScript<[string, string, string?, string?, string?]>(
        this.redis,
        claimPart,
        [this.keys.upload(ref.uploadId)],
        [
          ref.repositoryName,
          ref.registryId,
          first,
          last ?? '',
          now,
          this.limits.partLockMs,
          token,
          this.limits.maxParts,
          this.limits.maxLayerSize,
          length ?? '',
          this.limits.maxPartSize,
          MAX_PART_NUMBER,
        ],
      ),
    ]);
    if (!exists) {
      if (code === 'OK') await this.releaseClaim(ref, { token } as PartClaim);
      throw new RefusedError('REPOSITORY_NOT_FOUND');
    }
    switch (code) {
      case 'OK':
        return {
          token,
          hashState: value,
          maxPartSize: Number(maxPartSize),
          partNumber: Number(partNumber),
          storageSession: storageSession ?? '',
        };
      case 'PART_TOO_LARGE':
        throw new RefusedError('PART_TOO_LARGE', { limit: Number(maxPartSize) });
      case 'BAD_LENGTH':
        throw new RefusedError('BAD_LENGTH', {
          bytesReceived: Number(value),
          ...(length !== undefined ? { length } : {}),
        });
      case 'UPLOAD_NOT_FOUND':
        throw new RefusedError('UPLOAD_NOT_FOUND');
      case 'NOT_UPLOADING':
        throw new RefusedError('NOT_UPLOADING');
      case 'OUT_OF_ORDER':
        throw new RefusedError('OUT_OF_ORDER', { bytesReceived: Number(value) });
      case 'TOO_MANY_PARTS':
        throw new RefusedError('TOO_MANY_PARTS', { limit: this.limits.maxParts });
      default:
        throw new RefusedError('LAYER_TOO_LARGE', { limit: this.limits.maxLayerSize });
    }
  }

  /** Whether `repositoryName` exists (one `HEXISTS`; partStart reads it with the record). */
  async repositoryExists(repositoryName: string): Promise<boolean> {
    return (await this.redis.hexists(this.keys.repositories, repositoryName)) === 1;
  }

  /** The completion's checks in other slots (see CompletionFacts), both read in one round trip. */
  async completionFacts(repositoryName: string, layerDigests: string[]): Promise<CompletionFacts> {
    const [repositoryExists, linked] = await Promise.all([
      this.repositoryExists(repositoryName),
      layerDigests.length === 0 ? [] : this.redis.hmget(this.keys.layers(repositoryName), ...layerDigests),
    ]);
    return { repositoryExists, linkedDigest: layerDigests.find((_, i) => linked[i] !== null) ?? '' };
  }

  /**
   * Records a written part, if its claim is still the live one; otherwise throws RefusedError:
   * NOT_UPLOADING (or UPLOAD_NOT_FOUND) when the upload stopped taking parts (completed, aborted),
   * SUPERSEDED when a retry of the same part took the claim over.
   */
  async commitPart(
    ref: UploadRef,
    claim: PartClaim,
    part: PartRecord,
    hashState: string,
    now = Date.now(),
  ): Promise<number> {
    const [code, received, status] = await runScript<[string, string, string?]>(
      this.redis,
      commitPart,
      [this.keys.upload(ref.uploadId), this.keys.uploadParts(ref.uploadId)],
      this.commitArgs(claim, part, hashState, now),
    );
    if (code === 'OK') return Number(received);
    throw lostClaim(received, status);
  }

  private commitArgs(claim: PartClaim, part: PartRecord, hashState: string, now: number): (string | number)[] {
    return [
      claim.token,
      part.offset,
      part.length,
      JSON.stringify(part),
      hashState,
      now,
      this.limits.uploadTtlSeconds,
      this.limits.minPartSize,
    ];
  }

  /**
   * commitPart and beginCompletion in one round trip (the commitLastPart script), for a request
   * that carries an upload's last part and its completion. `facts` are the completion's checks in
   * other slots, read by the caller. A part that is not committed (its claim was lost: see
   * commitPart) is answered as 'not-committed' with commitPart's refusal, and the completion does
   * not begin; a completion refused after the commit throws as beginCompletion does.
   */
  async commitLastPart(
    ref: UploadRef,
    claim: PartClaim,
    part: PartRecord,
    hashState: string,
    options: CompletionOptions,
    facts: CompletionFacts,
    now = Date.now(),
  ): Promise<LastPartStart> {
    return this.lastPartStart(commitLastPart, ref, this.commitArgs(claim, part, hashState, now), options, facts, now);
  }

  /**
   * Runs `script` (commitLastPart or commitUnclaimedLastPart: the part's commit, then
   * beginCompletion) with the commit's `commitArgs` and the completion's, and reads its answer.
   */
  private async lastPartStart(
    script: typeof commitLastPart,
    ref: UploadRef,
    commitArgs: (string | number)[],
    options: CompletionOptions,
    facts: CompletionFacts,
    now: number,
  ): Promise<LastPartStart> {
    if (!facts.repositoryExists) throw new RefusedError('REPOSITORY_NOT_FOUND');
    const [code, received, begun, detail] = await this.runCompletionScript<[string, string, string?, string?]>(
      script,
      [this.keys.upload(ref.uploadId), this.keys.uploadParts(ref.uploadId)],
      [...commitArgs, ...this.completionArgs(ref, options, facts, now)],
      options.jobBehind,
      ([first, , third]) => first === 'OK' && third === 'QUEUED',
    );
    if (code !== 'OK') return { outcome: 'not-committed', refusal: lostClaim(received, begun) };
    return this.completionStart(begun!, detail);
  }

  /**
   * The upload's record and whether its repository exists, read in one round trip (no write):
   * what a part written without a claim starts from (see commitUnclaimedPart).
   */
  async partStart(ref: UploadRef): Promise<{ record: UploadRecord | undefined; repositoryExists: boolean }> {
    const [record, repositoryExists] = await Promise.all([
      this.get(ref.uploadId),
      this.repositoryExists(ref.repositoryName),
    ]);
    return { record, repositoryExists };
  }

  /**
   * The part number a part of `length` bytes at `first` may be written under without a claim
   * (commitUnclaimedPart), judged from `record` as read: the upload belongs to `ref`, takes parts,
   * has received exactly the bytes before `first`, no claim is live, and the part is within every
   * limit a claim checks. Undefined otherwise: the part goes the claimed way, whose refusals are
   * the ones a part has always had.
   */
  unclaimedPartNumber(record: UnclaimedPartStart | undefined, ref: UploadRef, first: number, length: number) {
    if (!record || record.repositoryName !== ref.repositoryName || record.registryId !== ref.registryId) return;
    if (record.status !== 'uploading' || record.partInFlight || !record.storageSession) return;
    const partNumber = record.nextPartNumber + 1;
    const withinLimits =
      length > 0 &&
      length <= (record.maxPartSize ?? this.limits.maxPartSize) &&
      record.partsReceived + 1 <= this.limits.maxParts &&
      partNumber <= MAX_PART_NUMBER &&
      first + length <= this.limits.maxLayerSize;
    return record.bytesReceived === first && withinLimits ? partNumber : undefined;
  }

  /**
   * Commits a part written without a claim into the file of `partNumber` (the record's
   * `nextPartNumber + 1` as read), if the upload is still as read (see commit-unclaimed-part.ts):
   * true when committed; false when not, with nothing written (the writer removes its file and
   * goes the claimed way).
   */
  async commitUnclaimedPart(
    ref: UploadRef,
    partNumber: number,
    part: PartRecord,
    hashState: string,
    now = Date.now(),
  ): Promise<boolean> {
    const [code] = await runScript<[string]>(
      this.redis,
      commitUnclaimedPart,
      [this.keys.upload(ref.uploadId), this.keys.uploadParts(ref.uploadId)],
      this.unclaimedArgs(ref, partNumber, part, hashState, now),
    );
    return code === 'OK';
  }

  /**
   * commitUnclaimedPart, only if the upload's repository exists, checked by the same script (see
   * commit-unclaimed-part-in-repository.ts): 'committed'; 'refused' as commitUnclaimedPart refuses;
   * 'no-repository' with nothing written. On a single Redis only (initiatesInRepository): on a
   * Redis Cluster the repository is another slot's, and this throws.
   */
  async commitUnclaimedPartInRepository(
    ref: UploadRef,
    partNumber: number,
    part: PartRecord,
    hashState: string,
    now = Date.now(),
  ): Promise<'committed' | 'refused' | 'no-repository'> {
    if (!this.initiatesInRepository) throw new Error('commitUnclaimedPartInRepository needs a single Redis');
    const [code] = await runScript<[string]>(
      this.redis,
      commitUnclaimedPartInRepository,
      [this.keys.upload(ref.uploadId), this.keys.uploadParts(ref.uploadId), this.keys.repositories],
      this.unclaimedArgs(ref, partNumber, part, hashState, now),
    );
    if (code === 'NO_REPOSITORY') return 'no-repository';
    return code === 'OK' ? 'committed' : 'refused';
  }

  /**
   * commitUnclaimedPart and beginCompletion in one round trip (as commitLastPart for a claimed
   * part): 'not-committed' when the part was not committed (nothing written); a completion refused
   * after the commit throws as beginCompletion does.
   */
  async commitUnclaimedLastPart(
    ref: UploadRef,
    partNumber: number,
    part: PartRecord,
    hashState: string,
    options: CompletionOptions,
    facts: CompletionFacts,
    now = Date.now(),
  ): Promise<LastPartStart> {
    const commitArgs = this.unclaimedArgs(ref, partNumber, part, hashState, now);
    return this.lastPartStart(commitUnclaimedLastPart, ref, commitArgs, options, facts, now);
  }

  private unclaimedArgs(
    ref: UploadRef,
    partNumber: number,
    part: PartRecord,
    hashState: string,
    now: number,
  ): (string | number)[] {
    const stand = { token: randomUUID() } as PartClaim;
    return [...this.commitArgs(stand, part, hashState, now), ref.repositoryName, ref.registryId, partNumber];
  }

  /**
   * Ends an upload still taking parts (OCI DELETE of an upload): afterwards a part or completion
   * is refused, and a part in flight cannot commit. Returns its storage session (JSON; '' if it
   * had none), whose bytes the caller removes; RefusedError UPLOAD_NOT_FOUND if there is no
   * such upload taking parts.
   */
  async abort(ref: UploadRef): Promise<string> {
    const [code, session] = await runScript<[string, string?]>(
      this.redis,
      abortUpload,
      [
        this.keys.upload(ref.uploadId),
        this.keys.uploadParts(ref.uploadId),
        this.keys.uploadVerifiedParts(ref.uploadId),
      ],
      [ref.repositoryName, ref.registryId],
    );
    if (code !== 'ABORTED') throw new RefusedError('UPLOAD_NOT_FOUND');
    return session ?? '';
  }

  async releaseClaim(ref: UploadRef, claim: PartClaim): Promise<void> {
    await runScript(this.redis, releaseClaim, [this.keys.upload(ref.uploadId)], [claim.token]);
  }

  /**
   * The cheap checks of a completion and the move to 'queued' (RefusedError when one fails).
   * When a completion already began (a retry, a second client), says so: the caller joins it
   * instead of starting another.
   */
  async beginCompletion(
    ref: UploadRef,
    options: CompletionOptions,
    now = Date.now(),
    facts?: CompletionFacts,
  ): Promise<CompletionStart> {
    // The repository and its layer links are other slots': read first, then queue (see begin-completion.ts).
    const known = facts ?? (await this.completionFacts(ref.repositoryName, options.layerDigests));
    if (!known.repositoryExists) throw new RefusedError('REPOSITORY_NOT_FOUND');
    const [code, detail] = await this.runCompletionScript<[string, string?]>(
      beginCompletion,
      [this.keys.upload(ref.uploadId)],
      this.completionArgs(ref, options, known, now),
      options.jobBehind,
      ([first]) => first === 'QUEUED',
    );
    return this.completionStart(code, detail);
  }

  /**
   * Runs a script that may begin a completion: on the store's connection, or, with a `behind` job
   * not added yet, on the job's connection with the job added right behind it (JobBehind).
   */
  private async runCompletionScript<T extends unknown[]>(
    script: LuaScript,
    keys: string[],
    args: string[] | (string | number)[],
    behind: JobBehind | undefined,
    queued: (answer: T) => boolean,
  ): Promise<T> {
    if (!behind || behind.queuedAhead !== undefined) return runScript<T>(this.redis, script, keys, args);
    behind.queuedAhead = false; // the job goes behind this script only
    const { answer, inOrder } = await runScriptThen<T>(behind.connection, script, keys, args, behind.add);
    behind.queuedAhead = inOrder && queued(answer);
    return answer;
  }

  private completionArgs(ref: UploadRef, options: CompletionOptions, facts: CompletionFacts, now: number): string[] {
    return [
      ref.repositoryName,
      ref.registryId,
      String(now),
      options.jobId,
      JSON.stringify(options.layerDigests),
      options.callbackUrl ?? '',
      this.keys.uploadEvents(ref.uploadId),
      facts.linkedDigest,
    ];
  }

  /** beginCompletion's answer as a CompletionStart, or its RefusedError thrown. */
  private completionStart(code: string, detail: string | undefined): CompletionStart {
    switch (code) {
      case 'QUEUED':
        return { outcome: 'queued' };
      case 'ALREADY':
        return { outcome: 'already', status: detail as UploadStatus };
      case 'UPLOAD_NOT_FOUND':
        throw new RefusedError('UPLOAD_NOT_FOUND');
      case 'EMPTY':
        throw new RefusedError('EMPTY');
      case 'PART_TOO_SMALL':
        throw new RefusedError('PART_TOO_SMALL', { limit: this.limits.minPartSize });
      default:
        throw new RefusedError('LAYER_EXISTS', { layerDigest: detail ?? '' });
    }
  }

  /** Records the outcome of a background check of stored part `partNumber` (or of several parts). */
  async markPartChecked(uploadId: string, partNumber: number | readonly number[], ok: boolean): Promise<void> {
    const key = this.keys.uploadVerifiedParts(uploadId);
    const numbers = typeof partNumber === 'number' ? [partNumber] : partNumber;
    await this.redis
      .multi()
      .sadd(key, ...numbers.map((n) => `${ok ? 'ok' : 'bad'}:${n}`))
      .expire(key, this.limits.uploadTtlSeconds)
      .exec();
  }

  /** Part numbers of the parts checked in the background, good and bad. */
  async checkedParts(uploadId: string): Promise<CheckedParts> {
    return parseCheckedParts(await this.redis.smembers(this.keys.uploadVerifiedParts(uploadId)));
  }

  /**
   * Marks the upload as being finalized by the finalize job `jobId` (taking it over from the dead
   * job `takeOver`, if given) and reads what finalizing it needs, in one round trip: its status
   * after the call ('elsewhere': another job owns its finalization; see the startFinalizing
   * script), its record (when finalizing or finished), its committed parts and the parts checked
   * in the background (when finalizing).
   */
  async startFinalizing(uploadId: string, jobId: string, takeOver = '', now = Date.now()): Promise<FinalizingStart> {
    const [status, flat, parts, checked] = await runScript<
      [FinalizingStart['status'], string[]?, string[]?, string[]?]
    >(
      this.redis,
      startFinalizing,
      [this.keys.upload(uploadId), this.keys.uploadParts(uploadId), this.keys.uploadVerifiedParts(uploadId)],
      [now, this.keys.uploadEvents(uploadId), jobId, takeOver],
    );
    const record = flat ? parseUploadRecord(fieldsOf(flat), now) : undefined;
    return {
      status,
      ...(record ? { record } : {}),
      parts: (parts ?? []).map(parsePartRecord),
      checked: parseCheckedParts(checked ?? []),
    };
  }

  /** Stores extra fields on an upload being finalized (e.g. the verified digest before publishing). */
  async annotate(uploadId: string, fields: Record<string, string>): Promise<void> {
    await this.redis.hset(this.keys.upload(uploadId), fields);
  }

  async recordCompleted(uploadId: string, layerDigest: string, layerSize: number, now = Date.now()) {
    return this.recordOutcome(uploadId, 'completed', ['layerDigest', layerDigest, 'layerSize', String(layerSize)], now);
  }

  async recordFailed(uploadId: string, error: RefusalRecord, now = Date.now()) {
    return this.recordOutcome(uploadId, 'failed', ['error', JSON.stringify(error)], now);
  }

  /**
   * Ends an upload whose completion was refused for good (see discardUpload): true when it is now
   * 'failed' with `error` and no part can land any more, so its stored bytes may be deleted.
   */
  async discard(uploadId: string, error: RefusalRecord, now = Date.now()): Promise<boolean> {
    const outcome = await runScript<string>(
      this.redis,
      discardUpload,
      [this.keys.upload(uploadId), this.keys.uploadParts(uploadId), this.keys.uploadVerifiedParts(uploadId)],
      [now, this.limits.statusRetentionSeconds, this.keys.uploadEvents(uploadId), JSON.stringify(error)],
    );
    return outcome === 'DISCARDED';
  }

  private async recordOutcome(uploadId: string, status: 'completed' | 'failed', fields: string[], now: number) {
    return runScript<UploadStatus | 'missing'>(
      this.redis,
      recordOutcome,
      [this.keys.upload(uploadId), this.keys.uploadParts(uploadId), this.keys.uploadVerifiedParts(uploadId)],
      [status, now, this.limits.statusRetentionSeconds, this.keys.uploadEvents(uploadId), ...fields],
    );
  }
}

/** commitPart's refusal: the upload is gone, no longer takes parts, or a retry took the claim over. */
function lostClaim(received: string, status: string | undefined): RefusedError {
  if (!status) return new RefusedError('UPLOAD_NOT_FOUND');
  if (status !== 'uploading') return new RefusedError('NOT_UPLOADING', { status });
  return new RefusedError('SUPERSEDED', { bytesReceived: Number(received) });
}

const optionalNumber = (v: string | undefined) => (v === undefined || v === '' ? undefined : Number(v));

/** Builds a record from the flat string map that HGETALL returns. */
export function parseUploadRecord(flat: Record<string, string>, now = Date.now()): UploadRecord | undefined {
  if (!flat.uploadId || !flat.status) return undefined;
  return {
    uploadId: flat.uploadId,
    repositoryName: flat.repositoryName ?? '',
    registryId: flat.registryId ?? '',
    status: flat.status as UploadStatus,
    bytesReceived: Number(flat.bytesReceived ?? 0),
    partsReceived: Number(flat.partsReceived ?? 0),
    hasSmallPart: flat.hasSmallPart === '1',
    minPartSize: optionalNumber(flat.minPartSize),
    maxPartSize: optionalNumber(flat.maxPartSize),
    allowEmpty: flat.allowEmpty === '1',
    partInFlight: Number(flat.claimUntil ?? 0) > now,
    nextPartNumber: Number(flat.nextPartNumber ?? 0),
    storageSession: flat.storageSession || undefined,
    hashState: flat.hashState || undefined,
    layerDigests: flat.layerDigests ? (JSON.parse(flat.layerDigests) as string[]) : undefined,
    jobId: flat.jobId || undefined,
    finalizingJob: flat.finalizingJob || undefined,
    callbackUrl: flat.callbackUrl || undefined,
    verifiedDigest: flat.verifiedDigest || undefined,
    blobLocation: flat.blobLocation || undefined,
    layerDigest: flat.layerDigest || undefined,
    layerSize: optionalNumber(flat.layerSize),
    error: flat.error ? readRefusalRecord(flat.error) : undefined,
    createdAt: Number(flat.createdAt ?? 0),
    updatedAt: Number(flat.updatedAt ?? 0),
    queuedAt: optionalNumber(flat.queuedAt),
    completedAt: optionalNumber(flat.completedAt),
    attempts: Number(flat.attempts ?? 0),
  };
}

/** An announcement from an upload's events channel (announceStatus's JSON, parsed). */
export function parseUploadAnnouncement(flat: Record<string, string>): UploadAnnouncement | undefined {
  if (!flat.uploadId || !flat.status) return undefined;
  return {
    uploadId: flat.uploadId,
    status: flat.status as UploadStatus,
    layerDigest: flat.layerDigest || undefined,
    layerSize: optionalNumber(flat.layerSize),
    error: flat.error ? readRefusalRecord(flat.error) : undefined,
  };
}

function parseCheckedParts(members: string[]): CheckedParts {
  const ok = new Set<number>();
  const bad: number[] = [];
  for (const member of members) {
    const [verdict, partNumber] = member.split(':');
    if (verdict === 'ok') ok.add(Number(partNumber));
    else bad.push(Number(partNumber));
  }
  return { ok, bad };
}

/** A flat HGETALL reply of a script ([field, value, …]) as a map. */
function fieldsOf(flat: string[]): Record<string, string> {
  const fields: Record<string, string> = {};
  for (let i = 0; i + 1 < flat.length; i += 2) fields[flat[i]!] = flat[i + 1]!;
  return fields;
}

export function parsePartRecord(entry: string): PartRecord {
  const part = JSON.parse(entry) as Partial<PartRecord> & { sha256?: string };
  return {
    offset: Number(part.offset),
    length: Number(part.length),
    checksum: part.checksum ?? part.sha256 ?? '',
    partNumber: Number(part.partNumber),
    receipt: part.receipt ?? '',
  };
}

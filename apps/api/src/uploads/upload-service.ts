import { randomUUID } from 'node:crypto';
import { Readable } from 'node:stream';
import {
  INLINE_HASH_MAX_BYTES,
  InvalidLayerException,
  LongshoreError,
  RefusedError,
  ServerException,
  UploadNotFoundException,
  isRefusal,
  isUploadFinished,
} from '@longshore/domain';
import {
  objectEncryptionOf,
  type CompletionFacts,
  type CompletionOptions,
  type CompletionStart,
  type LastPartStart,
  type PartClaim,
  type PartRecord,
  type PartPolicy,
  type RepositoryRecord,
  type UploadAnnouncement,
  type UploadRecord,
  type UploadRef,
  type UploadStatus,
  type UploadStore,
  type UnclaimedPartStart,
} from '@longshore/metadata';

/** The upload vocabulary the doors speak, from the service (doors do not import the stores). */
export type { CompletionFacts, PartPolicy, UploadRecord, UploadRef };
import {
  finalizeJobId,
  type CompletionWaiter,
  type FinalizeBatcher,
  type FinalizeQueue,
  type VerifyPartJobData,
  type VerifyQueue,
} from '@longshore/queue';
import {
  PartExistsError,
  sessionFromJson,
  sessionToJson,
  type StorageDriver,
  type UploadSession,
  type WriteOptions,
  writtenInBoot,
} from '@longshore/storage';
import type { HashPool } from '@longshore/digest';
import type { RepositoryService } from '../repositories/repository-service.js';
import type { BodyDeadlines } from './body-deadlines.js';
import type { StreamLimit } from './part-hasher.js';
import { isCommittedReplay } from './part-replay.js';
import { uploadRefusal, worded } from './upload-refusals.js';
import type { IngestHeapGrowth } from './ingest-heap-growth.js';
import { largePartsBootMarked, writeClaimedPart, type StoredPart } from './part-writer.js';
import { FLUSH_BATCH_BYTES, PartFlushBatches } from './part-flush-batches.js';
import { readSmallBody } from './small-body.js';
import { jobBehindCompletion, type JobBehindDeps } from './job-behind.js';
import { UploadsLeftHere, unclaimedPartStartOf } from './uploads-left-here.js';

/** ECR tells clients the part size it expects; Longshore accepts any size up to the maximum. */
export const ECR_PART_SIZE = 10_485_760;

export type PartUpload = UploadRef & {
  partFirstByte: number;
} & (
    | { data: Uint8Array; partLastByte: number; length?: undefined }
    /** A raw upload's request body, streamed to storage; `length` is what its range declares. */
    | { data: AsyncIterable<Uint8Array>; partLastByte: number; length: number }
    /**
     * A streamed body of unknown length (an OCI PATCH without Content-Range or Content-Length):
     * the part ends with the body, bounded by the upload's `maxPartSize` and MAX_LAYER_SIZE.
     */
    | { data: AsyncIterable<Uint8Array>; partLastByte?: undefined; length?: undefined }
  );

export interface CompletionRequest extends UploadRef {
  layerDigests: string[];
  callbackUrl?: string;
}

export interface UploadServiceDeps {
  repositories: Pick<RepositoryService, 'require' | 'registryId'>;
  uploads: UploadStore;
  storage: StorageDriver;
  hashPool: Pick<HashPool, 'ingestPart' | 'hashPart'>;
  /** Adds the recovery job of an upload whose completion is repeated while it is still queued. */
  queue: Pick<FinalizeQueue, 'recover' | 'isDead'>;
  /** Sends a fresh completion to the workers, in a batch with others of this process (group commit). */
  batcher: Pick<FinalizeBatcher, 'submit'>;
  verifyQueue: VerifyQueue;
  backgroundVerifyMinBytes: number;
  waiter: CompletionWaiter;
  completeWaitMs: number;
  /** Idle timeout and longest duration of a streamed part body. */
  bodyDeadlines: BodyDeadlines;
  /** Largest layer (MAX_LAYER_SIZE): bounds a streamed part of unknown length. */
  maxLayerSize: number;
  /** V8's own heap growth while a large body streams in (see ingest-heap-growth.ts). */
  heapGrowth?: IngestHeapGrowth;
  /**
   * This machine's boot id (storage's `currentBootId`): a part streamed into a local file is
   * recorded with it instead of a CRC32C, and flushed with others in one job (machine-boot.ts).
   */
  bootId?: string | undefined;
  /** Bytes of streamed parts one flush job covers (PART_FLUSH_BATCH_BYTES; default FLUSH_BATCH_BYTES). */
  flushBatchBytes?: number;
  /**
   * On a single Redis: a lone completion's script goes on the queue's connection with its
   * finalize job right behind it (JobBehind), in a slot of the batcher's; a job behind a script
   * that refused the completion is withdrawn. Absent (a Redis Cluster): the job is added after.
   */
  jobBehind?: JobBehindDeps;
  events?: UploadEvents;
}

/** Hooks for metrics; the service itself does not know about Prometheus. */
export interface UploadEvents {
  started?(): void;
  bytesReceived?(bytes: number): void;
  /**
   * A CompleteLayerUpload was answered: 'ok', or the name of the ECR error it was answered with
   * (a bounded set: anything that is not a domain error counts as 'ServerException').
   */
  finished?(outcome: 'ok' | string): void;
}

/** A part claimed and written, to be committed with its upload's completion (completeWithLastPart). */
interface LastPart {
  part: PartUpload;
  claim: PartClaim;
  stored: StoredPart;
}

/** A small part in memory written without a claim, under `partNumber` (see writeUnclaimed). */
interface UnclaimedPart {
  part: PartUpload & { data: Uint8Array };
  partNumber: number;
  storageSession: string;
  stored: StoredPart;
}

/** Where a stored part is: its upload's storage session and its part number. */
type StoredPartPlace = Pick<PartClaim, 'storageSession' | 'partNumber'>;

/** A claimed write refused because its part number's file exists: a writer without a claim made it. */
const NUMBER_TAKEN = Symbol('number taken');

/** How many claims a part takes at most when each finds its number's file taken. */
const CLAIMS_PER_PART = 3;

const terminal = (record: UploadAnnouncement | undefined) => !record || isUploadFinished(record.status);

/** An upload's life from the API's side: initiate, parts, and the hand-over to the queue. */
export class UploadService {
  private readonly flushBatches: PartFlushBatches;
  /** The uploads this process initiated or wrote a part of last, as it left them (see uploadUnclaimed). */
  private readonly leftHere = new UploadsLeftHere();

  constructor(private readonly deps: UploadServiceDeps) {
    this.flushBatches = new PartFlushBatches(deps.flushBatchBytes ?? FLUSH_BATCH_BYTES);
  }

  /**
   * Starts an upload. `policy` fixes its part sizes for good (default: the ECR policy,
   * MIN_PART_SIZE..MAX_PART_SIZE; the OCI door passes 0..MAX_LAYER_SIZE). A caller that has just
   * read the repository (create-on-push) passes its record, so it is not read twice; otherwise
   * the repository is read by the upload record's own script where that can be done
   * (initiateInRepository: one round trip for both), and read first where not.
   */
  async initiate(
    repositoryName: string,
    registryId: string,
    policy?: PartPolicy,
    known?: RepositoryRecord,
  ): Promise<UploadRecord> {
    if (!known) {
      const started = await this.initiateInRepository(repositoryName, registryId, policy);
      if (started) return started;
    }
    const repository =
      known?.repositoryName === repositoryName ? known : await this.deps.repositories.require(repositoryName);
    const uploadId = randomUUID();
    const options = { encryption: objectEncryptionOf(repository) };
    const record = async (session: UploadSession) =>
      this.deps.uploads.initiate(repositoryName, registryId, {
        uploadId,
        storageSession: sessionToJson(session),
        ...(policy ? { policy } : {}),
      });
    const planned = this.deps.storage.plannedSession?.(uploadId);
    const started = planned
      ? await this.recordWhileCreating(planned, record(planned), options)
      : await record(await this.deps.storage.createUpload(uploadId, options));
    this.leftHere.leave(unclaimedPartStartOf(started));
    this.deps.events?.started?.();
    return started;
  }

  /**
   * initiate for a door that creates missing repositories (`/v2`), when the repository exists:
   * its record is read by the upload record's own script, one round trip for both
   * (UploadStore.initiateInRepository), while the planned session is made. Undefined, with
   * nothing recorded and the session made meanwhile undone, when the repository does not exist
   * or this cannot be done (a Redis Cluster, a driver without planned sessions): the caller
   * reads or creates the repository and calls initiate.
   */
  async initiateInRepository(
    repositoryName: string,
    registryId: string,
    policy?: PartPolicy,
  ): Promise<UploadRecord | undefined> {
    const uploadId = randomUUID();
    const planned = this.deps.uploads.initiatesInRepository ? this.deps.storage.plannedSession?.(uploadId) : undefined;
    if (!planned) return undefined;
    const recording = this.deps.uploads
      .initiateInRepository(repositoryName, registryId, {
        uploadId,
        storageSession: sessionToJson(planned),
        ...(policy ? { policy } : {}),
      })
      .then((started) => {
        if (typeof started === 'string') throw new RefusedError('REPOSITORY_NOT_FOUND', { repositoryName, registryId });
        return started.record;
      });
    let started: UploadRecord;
    try {
      // A planned session is what is recorded: it carries no write options (the repository's
      // encryption), so its making needs none.
      started = await this.recordWhileCreating(planned, recording, {});
    } catch (err) {
      if (isRefusal(err, 'REPOSITORY_NOT_FOUND')) return undefined;
      throw err;
    }
    this.leftHere.leave(unclaimedPartStartOf(started));
    this.deps.events?.started?.();
    return started;
  }

  /**
   * A session known before it is made (StorageDriver.plannedSession): the record's script goes to
   * Redis first and the session is made while Redis writes it (and fsyncs it), instead of one
   * after the other. Either failing undoes the other (best effort) and fails the initiate.
   */
  private async recordWhileCreating(
    session: UploadSession,
    recording: Promise<UploadRecord>,
    options: WriteOptions,
  ): Promise<UploadRecord> {
    recording.catch(() => undefined); // waited for below
    await new Promise<void>((resolve) => setImmediate(resolve)); // the script is on its way (auto-pipelining)
    try {
      await this.deps.storage.createUpload(session.uploadId, options);
    } catch (err) {
      const started = await recording.catch(() => undefined);
      if (started) await this.deps.uploads.abort(started).catch(() => undefined);
      throw err;
    }
    try {
      return await recording;
    } catch (err) {
      await this.deps.storage.abortUpload(session).catch(() => undefined);
      throw err;
    }
  }

  /**
   * Stores one part at its offset; returns the last byte received (`partFirstByte - 1` when a
   * streamed part of unknown length turned out empty: nothing was added).
   *
   * The part is written into a storage part of its own claim, and only a live claim commits: a
   * retry of the same part takes the claim over at once, and a writer that lost its claim (or
   * whose upload completed or was aborted meanwhile) is refused, its bytes never published.
   */
  async uploadPart(part: PartUpload): Promise<number> {
    const unclaimed = await this.uploadUnclaimed(part);
    if (unclaimed !== undefined) return unclaimed;
    const claimed = await this.claimAndWrite(part);
    if (claimed === 'replayed') return part.partFirstByte + declaredOf(part)! - 1;
    const { claim, stored } = claimed;
    if (!stored) return part.partFirstByte - 1;
    try {
      await this.deps.uploads.commitPart(
        part,
        claim,
        partRecordOf(part, claim.partNumber, stored),
        stored.hashes.layerState,
      );
    } catch (err) {
      throw await this.releaseAfter(part, claim, err);
    }
    await this.partStored(part, claim, stored);
    return part.partFirstByte + stored.size - 1;
  }

  /**
   * A part in memory, on a driver with local part files, written and committed without a claim
   * (two round trips, one of them a read, instead of two writes): the upload's record is read,
   * the part written under the next part number as read, and committed if the upload is still as
   * read (UploadStore.commitUnclaimedPart). Undefined when the part is not one for this way, or
   * its commit was refused (its file then removed): the caller goes the claimed way.
   *
   * When this process initiated the upload or wrote its last part, on a single Redis, the part
   * starts from the upload as this process left it (UploadsLeftHere) instead of the read, and its
   * commit checks the repository too (uploadAsLeft): one round trip. A stale entry, or a
   * repository gone, is refused at commit with nothing written, and the part then goes on as it
   * would have without the entry.
   *
   * Large parts too when their memory is shared (the ECR door's, decoded into a decode slot and
   * staged as they arrived): one client sends its parts one after another, and the claim's
   * fsynced write was ~1.5 ms of each 10 MiB part's answer (ecr25). A part refused at commit costs
   * its write again, the claimed way. A large part in memory of its own is not for this way: the
   * hash pool takes that memory (hash-pool.ts `transferable`), and the claimed way would find
   * nothing left to write.
   */
  private async uploadUnclaimed(part: PartUpload): Promise<number | undefined> {
    const left = this.leftHere.take(part.uploadId);
    if (!this.unclaimable(part)) return undefined;
    if (left && this.deps.uploads.initiatesInRepository) {
      const received = await this.uploadAsLeft(part, left);
      if (received !== undefined) return received;
    }
    const { record, repositoryExists } = await this.deps.uploads.partStart(part);
    if (!repositoryExists) return undefined;
    return this.writeAndCommit(part, record, (...commit) => this.deps.uploads.commitUnclaimedPart(...commit));
  }

  /**
   * uploadUnclaimed from the upload as this process `left` it, with no read: the part is written
   * and committed by one script that also checks the repository exists
   * (UploadStore.commitUnclaimedPartInRepository). Undefined, with the part's file removed and
   * nothing committed, when the entry offers no part number, the write fails, or the commit is
   * refused (the upload is no longer as left, or its repository is gone).
   */
  private uploadAsLeft(part: PartUpload & { data: Uint8Array }, left: UnclaimedPartStart): Promise<number | undefined> {
    return this.writeAndCommit(part, left, async (...commit) => {
      return (await this.deps.uploads.commitUnclaimedPartInRepository(...commit)) === 'committed';
    });
  }

  /**
   * Writes `part` without a claim from `start` (writeUnclaimed) and commits it with `commit`
   * (whether it was committed); see afterUnclaimedCommit. Undefined when nothing was written.
   */
  private async writeAndCommit(
    part: PartUpload & { data: Uint8Array },
    start: UnclaimedPartStart | undefined,
    commit: (ref: UploadRef, partNumber: number, record: PartRecord, hashState: string) => Promise<boolean>,
  ): Promise<number | undefined> {
    const written = await this.writeUnclaimed(part, start);
    if (!written || !start) return undefined;
    const { partNumber, stored } = written;
    const committed = await commit(part, partNumber, partRecordOf(part, partNumber, stored), stored.hashes.layerState);
    return this.afterUnclaimedCommit(written, start, committed);
  }

  /**
   * After the commit of a part written without a claim from `start`: the last byte received, with
   * the upload remembered as this process leaves it; undefined when it was not committed (the
   * part's file removed).
   */
  private async afterUnclaimedCommit(
    written: UnclaimedPart,
    start: UnclaimedPartStart,
    committed: boolean,
  ): Promise<number | undefined> {
    if (!committed) {
      await this.removeUnclaimed(written);
      return undefined;
    }
    const { part, partNumber, stored } = written;
    this.leftHere.leave({
      ...unclaimedPartStartOf(start),
      bytesReceived: part.partFirstByte + stored.size,
      partsReceived: start.partsReceived + 1,
      nextPartNumber: partNumber,
      hashState: stored.hashes.layerState,
      partInFlight: false,
    });
    await this.partStored(part, written, stored);
    return part.partFirstByte + stored.size - 1;
  }

  /**
   * Whether `part` may go without a claim: in memory that stays readable after a write (small, or
   * shared), its range its size, local part files.
   */
  private unclaimable(part: PartUpload): part is PartUpload & { data: Uint8Array } {
    const { data } = part;
    return (
      this.deps.storage.localParts !== undefined &&
      data instanceof Uint8Array &&
      data.byteLength > 0 &&
      (data.byteLength <= INLINE_HASH_MAX_BYTES || data.buffer instanceof SharedArrayBuffer) &&
      part.partLastByte === part.partFirstByte + data.byteLength - 1
    );
  }

  /**
   * Writes `part` under the part number `record` (as read) offers it without a claim, hashed from
   * the record's hash state; undefined when it offers none, or the write failed (another writer's
   * file has the number, the session is gone): the claimed way answers those. The file is created
   * exclusively, so it is this writer's alone.
   */
  private async writeUnclaimed(
    part: PartUpload & { data: Uint8Array },
    record: UnclaimedPartStart | undefined,
  ): Promise<UnclaimedPart | undefined> {
    const size = part.data.byteLength;
    const partNumber = this.deps.uploads.unclaimedPartNumber(record, part, part.partFirstByte, size);
    if (partNumber === undefined || !record?.storageSession) return undefined;
    const { storageSession } = record;
    const limit = { maxBytes: size, tooLong: () => uploadRefusal('PART_TOO_LARGE', part, { limit: size }) };
    try {
      const session = sessionFromJson(storageSession, part.uploadId);
      const claimed = { session, partNumber, hashState: record.hashState ?? '' };
      const stored = await writeClaimedPart(this.deps, claimed, part.data, size, limit);
      return { part, partNumber, storageSession, stored };
    } catch {
      return undefined;
    }
  }

  /** Removes the file of an unclaimed part whose commit was refused (best effort: an upload's end removes it too). */
  private async removeUnclaimed({ part, partNumber, storageSession }: UnclaimedPart): Promise<void> {
    const session = sessionFromJson(storageSession, part.uploadId);
    await this.deps.storage.localParts?.removePart(session, partNumber).catch(() => undefined);
  }

  /**
   * Whether a large part in memory (the ECR door) is recorded with this boot's mark instead of a
   * CRC32C (part-writer.ts): the door's running hash then leaves the CRC32C out.
   */
  get largePartsBootMarked(): boolean {
    return largePartsBootMarked(this.deps);
  }

  /**
   * Claims the upload for `part` and writes it (the claimed way). A claim whose part number's file
   * exists already (a writer without a claim made it, and can no longer commit it: the claim took
   * the number) is claimed again, when the part's bytes can still be read: the next claim takes
   * the next number. A small streamed body is read whole first, so it can be written again.
   */
  private async claimAndWrite(
    asked: PartUpload,
    repositoryExists?: boolean,
  ): Promise<'replayed' | { part: PartUpload; claim: PartClaim; stored: StoredPart | undefined }> {
    let part = asked;
    for (let attempt = 1; ; attempt++) {
      const claim = await this.claim(part, repositoryExists);
      if (claim === 'replayed') return claim;
      part = await this.bufferedSmallBody(part, claim);
      const stored = await this.writeClaimed(part, claim, attempt < CLAIMS_PER_PART);
      if (stored !== NUMBER_TAKEN) return { part, claim, stored };
    }
  }

  /**
   * A streamed body of a small declared length, read whole (as the part writer would read it),
   * so that a write refused for its part number can be tried again with the same bytes.
   */
  private async bufferedSmallBody(part: PartUpload, claim: PartClaim): Promise<PartUpload> {
    const declared = declaredOf(part);
    if (!(part.data instanceof Readable) || declared === undefined || declared <= 0) return part;
    if (declared > INLINE_HASH_MAX_BYTES || !this.deps.storage.localParts) return part;
    try {
      const data = await readSmallBody(part.data, declared, this.deps.bodyDeadlines, this.streamLimit(part, claim));
      return { ...part, data, partLastByte: part.partFirstByte + declared - 1, length: undefined };
    } catch (err) {
      throw await this.releaseAfter(part, claim, err);
    }
  }

  /**
   * Claims the upload for `part` (see UploadStore.claimPart); `repositoryExists`, when the caller
   * read it already, spares the read. A refused replay of a part already committed is answered
   * as accepted: 'replayed'.
   */
  private async claim(part: PartUpload, repositoryExists?: boolean): Promise<PartClaim | 'replayed'> {
    const { uploads } = this.deps;
    try {
      return await uploads.claimPart(
        part,
        part.partFirstByte,
        part.partLastByte,
        declaredOf(part),
        Date.now(),
        repositoryExists,
      );
    } catch (err) {
      const refusal = worded(err, part);
      if (await isCommittedReplay(uploads, this.deps.storage.localParts, refusal, part)) return 'replayed';
      throw refusal;
    }
  }

  /**
   * Writes a claimed part to storage; undefined when a streamed part of unknown length turned out
   * empty (the claim is released: nothing was added). A failed write releases the claim.
   */
  private async writeClaimed(
    part: PartUpload,
    claim: PartClaim,
    mayClaimAgain: boolean,
  ): Promise<StoredPart | undefined | typeof NUMBER_TAKEN> {
    let stored: StoredPart;
    try {
      const session = sessionFromJson(claim.storageSession, part.uploadId);
      stored = await writeClaimedPart(
        this.deps,
        { session, partNumber: claim.partNumber, hashState: claim.hashState },
        part.data,
        declaredOf(part),
        this.streamLimit(part, claim),
      );
    } catch (err) {
      if (mayClaimAgain && err instanceof PartExistsError && rereadable(part)) return NUMBER_TAKEN;
      throw await this.releaseAfter(part, claim, err);
    }
    if (stored.size > 0) return stored;
    // Only a part of unknown length can be empty: it adds nothing to the layer.
    await this.deps.uploads.releaseClaim(part, claim);
    return undefined;
  }

  /** Releases the claim after `err` (best effort) and answers what the failed part write answers. */
  private async releaseAfter(part: PartUpload, claim: PartClaim, err: unknown): Promise<unknown> {
    await this.deps.uploads.releaseClaim(part, claim).catch(() => undefined);
    return this.partFailure(part, err);
  }

  /** After a part's commit: its background check (large parts) and the bytes counted. */
  private async partStored(part: PartUpload, claim: StoredPartPlace, stored: StoredPart): Promise<void> {
    if (stored.size >= this.deps.backgroundVerifyMinBytes) this.verifyInBackground(part, claim, stored);
    this.deps.events?.bytesReceived?.(stored.size);
  }

  /**
   * Queues the background check of a large committed part, without making the part's answer
   * wait for it: best effort (a part the background check misses, or that is published before
   * its check runs, is checked at completion instead), so the queue's durable round trip
   * overlaps with the client's next part instead of adding to this one.
   */
  private verifyInBackground(part: PartUpload, claim: StoredPartPlace, stored: StoredPart): void {
    const { bootId } = this.deps;
    const job: VerifyPartJobData = {
      uploadId: part.uploadId,
      storageSession: claim.storageSession,
      partNumber: claim.partNumber,
      length: stored.size,
      checksum: stored.hashes.partChecksum,
      // Its checksum was taken from the very bytes written to the file: as they streamed, or (an
      // ECR part in memory) on the hash thread that wrote them (part-writer.ts ingestBuffer).
      ...(this.deps.storage.localParts ? { flushOnly: true, ...(bootId ? { bootId } : {}) } : {}),
    };
    if (writtenInBoot(job.checksum, bootId) && (!(part.data instanceof Uint8Array) || stored.writtenDirect)) {
      // A streamed part marked with this boot: flushed with the next ones this process writes.
      // A part from memory (the ECR door) only when its bytes went straight to the disk (its
      // staged file, O_DIRECT): one written through the page cache gets its job at once, since a
      // batch left over would make completion fsync up to 60 MiB of dirty pages (50-135 ms
      // measured against 22-28 with a job per part).
      const batch = this.flushBatches.add(part.uploadId, claim.partNumber, stored.size);
      if (!batch) return;
      job.partNumbers = batch.partNumbers;
      job.length = batch.bytes;
    }
    this.deps.verifyQueue.enqueue(job).catch(() => undefined);
  }

  /**
   * What a failed part write answers: its own domain error, or — when storage refused because
   * the upload ended meanwhile (aborted, completed) — that the upload no longer takes parts.
   */
  private async partFailure(ref: UploadRef, failure: unknown): Promise<unknown> {
    const err = worded(failure, ref);
    if (err instanceof LongshoreError) return err;
    const record = await this.deps.uploads.get(ref.uploadId).catch(() => undefined);
    if (record?.status === 'uploading') return err;
    return new UploadNotFoundException(`The upload with id '${ref.uploadId}' no longer takes parts`);
  }

  /** How many bytes a streamed part may carry, and the error for one byte more. */
  private streamLimit(part: PartUpload, claim: PartClaim): StreamLimit {
    const layerRoom = this.deps.maxLayerSize - part.partFirstByte;
    if (claim.maxPartSize <= layerRoom) {
      return {
        maxBytes: claim.maxPartSize,
        tooLong: () => uploadRefusal('PART_TOO_LARGE', part, { limit: claim.maxPartSize }),
      };
    }
    return {
      maxBytes: layerRoom,
      tooLong: () => uploadRefusal('LAYER_TOO_LARGE', part, { limit: this.deps.maxLayerSize }),
    };
  }

  /**
   * Ends an upload that is still taking parts and removes its bytes (OCI DELETE of an upload).
   * A later part or completion answers UploadNotFoundException; so does this, for an upload
   * that does not exist or is already being completed.
   */
  async abort(ref: UploadRef): Promise<void> {
    const session = await this.deps.uploads.abort(ref).catch((err: unknown) => {
      throw worded(err, ref);
    });
    if (session) await this.deps.storage.abortUpload(sessionFromJson(session, ref.uploadId));
  }

  /**
   * Runs the cheap checks and hands the upload to the finalize queue, or joins the completion
   * already under way. Returns the upload's record as it stands.
   */
  async beginCompletion(asked: Omit<CompletionRequest, 'registryId'> & { registryId?: string }): Promise<UploadRecord> {
    // The registry id the caller named (the /v1 body's, optional) is checked here, not by the door.
    const request = { ...asked, registryId: this.deps.repositories.registryId(asked.registryId) };
    await this.handOver(request);
    const record = await this.deps.uploads.get(request.uploadId);
    if (!record) throw new UploadNotFoundException(`The upload with id '${request.uploadId}' does not exist`);
    return record;
  }

  /**
   * The cheap checks and the enqueue (or join) of the finalization; returns the status after it,
   * and whether this call is the one that moved the upload to the queue (`fresh`). Resolves only
   * once a job carrying the upload is in the queue, so nothing is acknowledged before that.
   */
  private async handOver(
    request: CompletionRequest,
    facts?: CompletionFacts,
    lastPart?: LastPart | UnclaimedPart,
  ): Promise<{ status: UploadStatus; fresh: boolean }> {
    const { uploads, queue, batcher } = this.deps;
    const upload = {
      uploadId: request.uploadId,
      repositoryName: request.repositoryName,
      registryId: request.registryId,
      layerDigests: request.layerDigests,
    };
    const behind = jobBehindCompletion(this.deps.jobBehind, upload, {
      submit: (lone) => batcher.submit(lone),
      recover: (lone) => queue.recover(lone),
    });
    const options: CompletionOptions = {
      jobId: finalizeJobId(request.uploadId),
      layerDigests: request.layerDigests,
      ...(request.callbackUrl ? { callbackUrl: request.callbackUrl } : {}),
      ...(behind ? { jobBehind: behind.job } : {}),
    };
    let start: CompletionStart;
    try {
      start = await (lastPart && facts
        ? 'claim' in lastPart
          ? this.commitLastPart(request, options, facts, lastPart)
          : this.commitUnclaimedLastPart(request, options, facts, lastPart)
        : uploads.beginCompletion(request, options, Date.now(), facts));
    } catch (err) {
      await behind?.refused(err);
      return this.discardIfDead(request, err);
    }
    if (start.outcome === 'queued') {
      await (behind ? behind.queued() : batcher.submit(upload));
      return { status: 'queued', fresh: true };
    }
    behind?.joined();
    // A joiner of an upload still queued adds the upload's own recovery job (idempotent by id),
    // in case the process that queued it died before its batch was added. Should the batch run
    // too, the first job to start the upload finalizes it, the other skips it.
    if (start.status === 'queued') await queue.recover(upload);
    // One being finalized by a job BullMQ gave up on (it stalled too often) is taken over.
    if (start.status === 'finalizing') {
      const owner = (await uploads.get(request.uploadId))?.finalizingJob;
      if (owner !== undefined && (await queue.isDead(owner))) await queue.recover({ ...upload, takeOver: owner });
    }
    return { status: start.status, fresh: false };
  }

  /**
   * Commits the last part and begins the completion in one script (UploadStore.commitLastPart).
   * A part that is not committed answers as a failed part write (uploadPart); a completion
   * refused after the commit throws its RefusedError, as beginCompletion does.
   */
  private async commitLastPart(
    request: CompletionRequest,
    options: CompletionOptions,
    facts: CompletionFacts,
    { part, claim, stored }: LastPart,
  ): Promise<CompletionStart> {
    let start: LastPartStart;
    try {
      const record = partRecordOf(part, claim.partNumber, stored);
      start = await this.deps.uploads.commitLastPart(request, claim, record, stored.hashes.layerState, options, facts);
    } catch (err) {
      if (!(err instanceof RefusedError)) throw await this.releaseAfter(part, claim, err);
      await this.partStored(part, claim, stored); // committed; the completion was refused
      throw err;
    }
    if (start.outcome === 'not-committed') throw await this.releaseAfter(part, claim, start.refusal);
    await this.partStored(part, claim, stored);
    return start;
  }

  /**
   * Commits an unclaimed last part and begins the completion in one script
   * (UploadStore.commitUnclaimedLastPart). A part not committed (the upload is no longer as read)
   * has its file removed and goes the claimed way, as completeWithLastPart's claimed path would
   * have: claimed, written and committed with the completion, or, as a replay of a committed
   * part, the completion begun on its own.
   */
  private async commitUnclaimedLastPart(
    request: CompletionRequest,
    options: CompletionOptions,
    facts: CompletionFacts,
    unclaimed: UnclaimedPart,
  ): Promise<CompletionStart> {
    const { part, partNumber, stored } = unclaimed;
    const record = partRecordOf(part, partNumber, stored);
    const { uploads } = this.deps;
    const start = await uploads.commitUnclaimedLastPart(
      request,
      partNumber,
      record,
      stored.hashes.layerState,
      options,
      facts,
    );
    if (start.outcome !== 'not-committed') {
      await this.partStored(part, unclaimed, stored);
      return start;
    }
    await this.removeUnclaimed(unclaimed);
    const claimed = await this.claimAndWrite(part, facts.repositoryExists);
    if (claimed === 'replayed' || !claimed.stored) return uploads.beginCompletion(request, options, Date.now(), facts);
    return this.commitLastPart(request, options, facts, { ...claimed, stored: claimed.stored });
  }

  /**
   * A completion refused for a reason no further part can change (the layer already exists, an
   * inner part is too small) ends the upload: it is recorded as failed with that error, so a
   * retry hears the same, and its bytes are deleted rather than left behind. Rethrows `err`.
   */
  private async discardIfDead(request: CompletionRequest, err: unknown): Promise<never> {
    if (isRefusal(err, 'LAYER_EXISTS', 'PART_TOO_SMALL')) {
      const record = await this.deps.uploads.get(request.uploadId);
      if ((await this.deps.uploads.discard(request.uploadId, err.toRecord())) && record?.storageSession) {
        await this.deps.storage.abortUpload(sessionFromJson(record.storageSession, request.uploadId));
      }
    }
    throw worded(err, request);
  }

  /**
   * What a completion of `layerDigests` checks in slots other than the upload's (the repository,
   * its links), in one round trip: for a door that reads them together with the upload's record.
   */
  completionFacts(repositoryName: string, layerDigests: string[]): Promise<CompletionFacts> {
    return this.deps.uploads.completionFacts(repositoryName, layerDigests);
  }

  /**
   * CompleteLayerUpload: hands over, then waits for the worker and answers in ECR form. Every
   * answer is reported to `events.finished`, except to a client that went away. `facts`, when
   * the caller read them already (completionFacts), spare reading them again.
   */
  async complete(
    request: CompletionRequest,
    signal?: AbortSignal,
    facts?: CompletionFacts,
  ): Promise<{ layerDigest: string }> {
    return this.finish(request, signal, facts, undefined);
  }

  private async finish(
    request: CompletionRequest,
    signal: AbortSignal | undefined,
    facts: CompletionFacts | undefined,
    lastPart: LastPart | UnclaimedPart | undefined,
  ): Promise<{ layerDigest: string }> {
    try {
      const answer = await this.completeAndWait(request, signal, facts, lastPart);
      this.deps.events?.finished?.('ok');
      return answer;
    } catch (err) {
      if (!signal?.aborted) this.deps.events?.finished?.(err instanceof LongshoreError ? err.name : 'ServerException');
      throw err;
    }
  }

  /**
   * An upload's last part and its completion, sent in one request (an OCI monolithic PUT): the
   * part is claimed and written as uploadPart does, then committed and the completion begun in one
   * script, and the answer awaited as complete does. `facts` are the completion's checks in other
   * slots (UploadStore.completionFacts), read by the caller with the upload's record; the claim
   * takes the repository's existence from them too.
   */
  async completeWithLastPart(
    part: PartUpload,
    request: CompletionRequest,
    facts: CompletionFacts,
    signal?: AbortSignal,
    known?: UploadRecord,
  ): Promise<{ layerDigest: string }> {
    const prepared = known && facts.repositoryExists ? await this.lastPartUnclaimed(part, known) : undefined;
    if (prepared && 'stored' in prepared) return this.finish(request, signal, facts, prepared);
    const claimed = await this.claimAndWrite(prepared ?? part, facts.repositoryExists);
    if (claimed === 'replayed' || !claimed.stored) return this.complete(request, signal, facts);
    return this.finish(request, signal, facts, { ...claimed, stored: claimed.stored });
  }

  /**
   * The last part of a completing request written without a claim, when `known` (the upload's
   * record, read by the caller just before) offers it a part number: a small streamed body is read
   * whole first. Answers the written part, or the part as read (its bytes in memory) for the
   * claimed way, or undefined when nothing was read.
   */
  private async lastPartUnclaimed(
    part: PartUpload,
    known: UploadRecord,
  ): Promise<UnclaimedPart | PartUpload | undefined> {
    const declared = declaredOf(part);
    if (!this.deps.storage.localParts || declared === undefined || declared > INLINE_HASH_MAX_BYTES) return undefined;
    if (this.deps.uploads.unclaimedPartNumber(known, part, part.partFirstByte, declared) === undefined)
      return undefined;
    let inMemory: PartUpload = part;
    if (part.data instanceof Readable) {
      const limit = { maxBytes: declared, tooLong: () => uploadRefusal('PART_TOO_LARGE', part, { limit: declared }) };
      const data = await readSmallBody(part.data, declared, this.deps.bodyDeadlines, limit);
      inMemory = { ...part, data, partLastByte: part.partFirstByte + declared - 1, length: undefined };
    }
    if (!this.unclaimable(inMemory)) return inMemory;
    return (await this.writeUnclaimed(inMemory, known)) ?? inMemory;
  }

  private async completeAndWait(
    request: CompletionRequest,
    signal: AbortSignal | undefined,
    facts: CompletionFacts | undefined,
    lastPart: LastPart | UnclaimedPart | undefined,
  ): Promise<{ layerDigest: string }> {
    // The waiter listens before the hand-over. When this call queued the upload, nothing can have
    // finished it before, so every later change is announced to it; a joiner reads the stored
    // status once, so an upload that finished already answers at once.
    const outcome = await this.deps.waiter.waitFor(
      request.uploadId,
      terminal,
      this.deps.completeWaitMs,
      signal,
      async () => !(await this.handOver(request, facts, lastPart)).fresh,
    );
    if (outcome.timedOut) {
      throw new ServerException(
        `The layer of upload '${request.uploadId}' is still being finalized; retry CompleteLayerUpload to keep waiting`,
      );
    }
    return answerFromRecord(request, outcome.record);
  }

  async status(uploadId: string): Promise<UploadRecord> {
    const record = await this.deps.uploads.get(uploadId);
    if (!record) throw new UploadNotFoundException(`The upload with id '${uploadId}' does not exist`);
    return record;
  }

  /**
   * The long poll: the upload's record once its status is no longer `record.status` (or it was
   * removed), or as it stands after `waitMs` or when `signal` aborts. A finished upload never
   * changes, so it is answered at once. The wait hears announcements (UploadAnnouncement, not the
   * whole record), so the record is read once it is over.
   */
  async waitForChange(record: UploadRecord, waitMs: number, signal?: AbortSignal): Promise<UploadRecord> {
    if (waitMs <= 0 || isUploadFinished(record.status)) return record;
    const seen = record.status;
    await this.deps.waiter.waitFor(record.uploadId, (r) => !r || r.status !== seen, waitMs, signal);
    return this.status(record.uploadId);
  }
}

const declaredOf = (part: PartUpload) => (part.data instanceof Uint8Array ? part.data.byteLength : part.length);

/** Whether a part's bytes can be written again: in memory, or a stream no one has read from yet. */
const rereadable = (part: PartUpload) =>
  part.data instanceof Uint8Array || (part.data instanceof Readable && !part.data.readableDidRead);

function partRecordOf(part: PartUpload, partNumber: number, stored: StoredPart): PartRecord {
  return {
    offset: part.partFirstByte,
    length: stored.size,
    checksum: stored.hashes.partChecksum,
    partNumber,
    receipt: stored.receipt,
  };
}

function answerFromRecord(request: CompletionRequest, record: UploadAnnouncement | undefined): { layerDigest: string } {
  if (!record) throw new UploadNotFoundException(`The upload with id '${request.uploadId}' does not exist`);
  if (record.status === 'failed')
    throw uploadRefusal(record.error?.code ?? 'FINALIZE_FAILED', request, record.error?.facts);
  const layerDigest = record.layerDigest!;
  if (!request.layerDigests.includes(layerDigest)) {
    throw new InvalidLayerException(`The layer digest is ${layerDigest}, which is not among the digests given`);
  }
  return { layerDigest };
}

import { RefusedError, isUploadFinished, type RefusalRecord } from '@longshore/domain';
import { digestAlgorithmOf } from '@longshore/digest';
import {
  BlobBeingCollectedError,
  linkRetainedLayer,
  type BlobIndex,
  type CheckedParts,
  type FinalizationStore,
  type LayerStore,
  type PartRecord,
  type UploadRecord,
  type UploadStatus,
  type UploadStore,
} from '@longshore/metadata';
import { type BlobLocation, sessionFromJson, type UploadSession } from '@longshore/storage';
import type { Logger } from '@longshore/telemetry';
import { hashPublishedBlob, verifyPublishedBlob } from './verify-published-blob.js';
import { needsBlobRehash, verifyUpload, type VerifyDeps } from './verify-upload.js';
import { SMALL_BLOB_BYTES, verifySmallUpload } from './verify-small-upload.js';

export interface FinalizeDeps extends VerifyDeps {
  uploads: Pick<UploadStore, 'startFinalizing' | 'annotate'>;
  layers: Pick<LayerStore, 'link' | 'unlink'>;
  blobs: Pick<BlobIndex, 'claim' | 'retain'>;
  /**
   * The end of a finalization in one script (index, link and, when nothing waits on replicas,
   * the outcome), where `combined` (a single Redis); otherwise the per-slot steps run.
   */
  finalizations?: Pick<FinalizationStore, 'combined' | 'finish'>;
  /**
   * Called as the upload is taken up: reads which Redis masters have replicas, alongside. The
   * function it answers resolves once the writes so far (blob index, layer link) are on those
   * replicas (REDIS_WAIT_REPLICAS), or throws a transient error when they are not in time. Called
   * before a completion is settled, so nothing is acknowledged that a failover could lose.
   */
  replicated?: () => ReplicatedWait;
}

/** Waits for the writes so far to reach Redis replicas; `needed`: whether there are any to wait on. */
export type ReplicatedWait = (() => Promise<void>) & { needed?: Promise<boolean> };

/**
 * How a finalization ended, in domain terms. `completed` and `failed` are outcomes to settle
 * (record, publish, call back: see settleUpload); `gone` means there is nothing to settle (the
 * upload expired, or was never handed over). A transient failure is thrown, for a retry.
 */
export type FinalizeOutcome =
  | {
      outcome: 'completed';
      layerDigest: string;
      layerSize: number;
      callbackUrl: string | null;
      /** The status recorded already, when finalizing settled the upload itself (see finishInOneStep). */
      recorded?: UploadStatus | 'missing';
    }
  | { outcome: 'failed'; error: RefusalRecord; callbackUrl: string | null }
  | { outcome: 'gone'; reason: string; elsewhere?: boolean };

/** The finalize job running a finalization, and the dead job it takes the upload over from, if any. */
export interface FinalizingJob {
  id: string;
  takeOver?: string;
}

/** One upload on its way to a layer, as the steps fill it in. */
interface Finalizing {
  record: UploadRecord;
  parts: PartRecord[];
  /** The parts checked in the background before this run. */
  checked: CheckedParts;
  session: UploadSession;
  /** The layer's digest, once known; recorded on the upload (`verifiedDigest`) once accepted. */
  digest?: string;
  /** Whether an earlier run accepted the digest already (the first steps are then done). */
  accepted: boolean;
  /** Where the parts were published as one blob (recorded on the upload as `blobLocation`). */
  location?: BlobLocation;
  /** Whether the digest was computed from the published blob itself (no re-hash needed). */
  hashedBlob: boolean;
  /**
   * Records on the upload sent and not yet waited for: each is waited for together with the
   * next step's Redis commands (one round trip), before anything that depends on it.
   */
  recording: Promise<void>[];
}

/**
 * Finalizes one upload: a straight list of steps, like CNCF distribution's blobWriter.Commit,
 * each of which may be re-run after a crash (each records what it did on the upload, or is
 * idempotent by content address). Knows nothing of queues: refusals (a digest mismatch, a
 * layer that already exists: a code and its facts) are returned as `failed`; anything else is thrown for
 * the caller to retry.
 *
 * A lone upload's finalization waits on every Redis round trip in turn, so the steps share
 * them where the order allows: taking the upload up reads everything (one script); the digest's
 * record goes with the look-up of an indexed blob; the blob's location on the upload with its
 * index entry and the repository check before the link; the replica check with the first.
 */
export async function finalizeUpload(
  uploadId: string,
  job: FinalizingJob,
  deps: FinalizeDeps,
  log: Logger,
): Promise<FinalizeOutcome> {
  const replicated = deps.replicated?.(); // which Redis masters have replicas, read alongside
  const loaded = await loadUpload(uploadId, job, deps);
  if ('outcome' in loaded) return loaded;
  const upload = loaded;
  try {
    if (!(await publishSmallLayer(upload, deps))) {
      await verifyParts(upload, deps); // the committed parts are the bytes that arrived; their digest
      await hashUnreadableParts(upload, deps); // parts a remote store cannot read back: hash them published
      await acceptDigest(upload, deps); // the digest is one the client named, recorded
      await moveIntoPlace(upload, deps); // the indexed blob of the digest, or the parts published as it
    }
    let recordedStatus: UploadStatus | 'missing' | undefined;
    let digest: string;
    if (deps.finalizations?.combined) {
      // One script: indexed, linked and, unless replicas are waited on, settled.
      ({ digest, recordedStatus } = await finishInOneStep(upload, deps, replicated, log));
    } else {
      digest = await indexAndLink(upload, deps, log); // the first location wins; linked in the safe order
      await replicated?.(); // Redis replicas hold the index entry and the link
    }
    await cleanUp(upload, deps); // the upload's leftovers (parts nobody committed)
    log.info({ layerDigest: digest, layerSize: upload.record.bytesReceived }, 'layer finalized');
    return {
      outcome: 'completed',
      layerDigest: digest,
      layerSize: upload.record.bytesReceived,
      callbackUrl: upload.record.callbackUrl ?? null,
      ...(recordedStatus ? { recorded: recordedStatus } : {}),
    };
  } catch (err) {
    if (!(err instanceof RefusedError)) throw err;
    await cleanUp(upload, deps);
    log.info({ error: err.code, facts: err.facts }, 'layer rejected');
    return { outcome: 'failed', error: err.toRecord(), callbackUrl: upload.record.callbackUrl ?? null };
  }
}

/**
 * Marks the upload as being finalized by job `jobId` and reads it with its committed parts (one
 * round trip), or says there is nothing to do: gone, finalized by another job (`elsewhere`: see
 * the startFinalizing script), or finished already (a re-run job answers the same outcome).
 */
async function loadUpload(
  uploadId: string,
  job: FinalizingJob,
  deps: FinalizeDeps,
): Promise<Finalizing | FinalizeOutcome> {
  const { status, record, parts, checked } = await deps.uploads.startFinalizing(uploadId, job.id, job.takeOver);
  if (status === 'elsewhere') {
    return { outcome: 'gone', reason: `upload ${uploadId} is being finalized by another job`, elsewhere: true };
  }
  if (status === 'missing' || status === 'uploading') {
    return { outcome: 'gone', reason: `upload ${uploadId} is not awaiting finalization (${status})` };
  }
  if (!record) return { outcome: 'gone', reason: `upload ${uploadId} expired` };
  if (isUploadFinished(record.status)) return outcomeOf(record);
  return {
    record,
    parts,
    checked,
    session: sessionFromJson(record.storageSession, uploadId),
    digest: record.verifiedDigest,
    accepted: record.verifiedDigest !== undefined,
    location: record.blobLocation,
    hashedBlob: false,
    recording: [],
  };
}

/**
 * A small layer (SMALL_BLOB_BYTES) in local part files, taken up for the first time: its parts
 * are read once and verified in memory (verifySmallUpload), its digest accepted and recorded, and
 * the bytes published as the blob in one go (the driver's publishBytes: the file steps on this
 * thread, the fsyncs together). The digest's record is sent first and waited for only before
 * the blob becomes visible, alongside the writes. Until then the part files stay where they are,
 * so a re-run after a crash verifies them again; a re-run after the blob became visible has the
 * digest recorded and finds the blob published. False, doing nothing, for any other layer.
 */
async function publishSmallLayer(upload: Finalizing, deps: FinalizeDeps): Promise<boolean> {
  const { storage } = deps;
  const local = storage.localParts;
  const small = upload.record.bytesReceived <= SMALL_BLOB_BYTES;
  if (!local || !storage.publishBytes || !small || upload.accepted || upload.location !== undefined) return false;
  const { record, parts, checked, session } = upload;
  const verified = await verifySmallUpload(record, parts, checked, session, local, deps.verifyMode, deps.bootId);
  if (verified.checkedBytes > 0) deps.onVerifiedBytes?.(verified.checkedBytes);
  upload.digest = verified.digest;
  await acceptDigest(upload, deps);
  const digestRecorded = Promise.all(upload.recording.splice(0));
  digestRecorded.catch(() => undefined); // observed here; publishBytes waits for it (and throws its failure)
  // A layer of one part: its file may become the blob itself (renamed, not written again).
  const onlyPart = parts.length === 1 ? parts[0]!.partNumber : undefined;
  upload.location = await storage.publishBytes(session, verified.bytes, verified.digest, digestRecorded, onlyPart);
  return true;
}

/** Checks every committed part against its checksum and takes the layer digest (see verifyUpload). */
async function verifyParts(upload: Finalizing, deps: FinalizeDeps): Promise<void> {
  if (upload.accepted) return;
  upload.digest = await verifyUpload(upload.record, upload.parts, upload.checked, upload.session, deps);
}

/**
 * No carried hash state, and parts a remote store cannot read back before completion: publishes
 * them (where they were written: no copy) and hashes the published blob. A blob of the wrong
 * size is deleted and the layer rejected.
 */
async function hashUnreadableParts(upload: Finalizing, deps: FinalizeDeps): Promise<void> {
  if (upload.digest !== undefined) return;
  const { storage } = deps;
  upload.location ??= await publishParts(upload, deps, undefined);
  const location = upload.location;
  const named = upload.record.layerDigests?.[0];
  const hashed = await hashPublishedBlob(storage, location, digestAlgorithmOf(named));
  if (hashed.size !== upload.record.bytesReceived) {
    await storage.deleteBlob(location);
    throw new RefusedError('PUBLISHED_SIZE_MISMATCH', {
      size: hashed.size,
      bytesReceived: upload.record.bytesReceived,
    });
  }
  upload.digest = hashed.digest;
  upload.hashedBlob = true;
}

/**
 * The digest must be one the client named; it is recorded (sent here, waited for with the next
 * step's look-up) before anything is published, indexed or linked.
 */
async function acceptDigest(upload: Finalizing, deps: FinalizeDeps): Promise<void> {
  if (upload.accepted) return;
  const digest = upload.digest!;
  const named = upload.record.layerDigests ?? [];
  if (!named.includes(digest)) {
    if (upload.location !== undefined) await deps.storage.deleteBlob(upload.location);
    throw new RefusedError('DIGEST_NOT_NAMED', { layerDigest: digest, digests: named });
  }
  send(upload, deps.uploads.annotate(upload.record.uploadId, { verifiedDigest: digest }));
  upload.accepted = true;
}

/** Keeps a record sent to Redis for `recorded` to wait for (a failure is thrown there). */
function send(upload: Finalizing, sent: Promise<void>): void {
  sent.catch(() => undefined);
  upload.recording.push(sent);
}

/** Waits for the records sent so far (see `Finalizing.recording`), with `alongside`. */
async function recorded<T>(upload: Finalizing, alongside: Promise<T>): Promise<T> {
  const sent = upload.recording.splice(0);
  const [answer] = await Promise.all([alongside, ...sent]);
  return answer;
}

/**
 * Puts the layer's bytes where its digest is served from: a blob of the digest already indexed
 * is reused (retaining it tells a collection that marked it to keep it; while one is deleting
 * it this throws, transient, and the retry publishes our own copy), otherwise the parts are
 * published as one blob. `VERIFY_MODE=full` on a remote store re-hashes a copy published here.
 */
async function moveIntoPlace(upload: Finalizing, deps: FinalizeDeps): Promise<void> {
  const digest = upload.digest!;
  let published = upload.location !== undefined;
  upload.location ??= await recorded(upload, deps.blobs.retain(digest));
  await recorded(upload, Promise.resolve());
  if (upload.location === undefined) {
    upload.location = await publishParts(upload, deps, digest);
    published = true;
  }
  if (published && !upload.hashedBlob && needsBlobRehash(deps)) {
    await verifyPublishedBlob(deps.storage, upload.location, digest, upload.record.bytesReceived);
    deps.onVerifiedBytes?.(upload.record.bytesReceived);
  }
}

/**
 * Indexes the blob by digest (the first location of a digest wins: when another upload's copy
 * was indexed first, ours is surplus and deleted) and links the layer into the repository (see
 * linkRetainedLayer: the claim is its first retain). The upload is in flight until it is settled, so a collection cannot have swept the
 * blob just indexed; should the index say otherwise, the retry publishes the parts again.
 */
async function indexAndLink(upload: Finalizing, deps: FinalizeDeps, log: Logger): Promise<string> {
  const { record } = upload;
  const digest = upload.digest!;
  const location = upload.location!;
  const claimed = deps.blobs.claim(digest, location, record.bytesReceived);
  const surplus = claimed.then(async (kept) => {
    if (kept !== location) await deps.storage.deleteBlob(location);
    log.debug({ layerDigest: digest, location: kept }, 'layer published');
  });
  surplus.catch(() => undefined);
  const link = { size: record.bytesReceived, uploadId: record.uploadId, linkedAt: Date.now() };
  const linked = linkRetainedLayer(deps, record.repositoryName, record.registryId, digest, link, claimed);
  const [isLinked] = await recorded(upload, Promise.all([linked, surplus]));
  if (!isLinked) throw new BlobBeingCollectedError(digest);
  return digest;
}

/**
 * indexAndLink and the settling of the outcome as one script on a single Redis (see
 * FinalizationStore.finish): the upload is recorded completed there unless replicas must hold
 * the writes first (REDIS_WAIT_REPLICAS with a master that has replicas); then it is waited for
 * here and settled afterwards, as on a Cluster. Answers the status recorded, if it was.
 */
async function finishInOneStep(
  upload: Finalizing,
  deps: FinalizeDeps,
  replicated: ReplicatedWait | undefined,
  log: Logger,
): Promise<{ digest: string; recordedStatus?: UploadStatus | 'missing' }> {
  const { record } = upload;
  const digest = upload.digest!;
  const location = upload.location!;
  const settle = !(await (replicated?.needed ?? Promise.resolve(replicated !== undefined)));
  const finished = deps.finalizations!.finish({
    uploadId: record.uploadId,
    repositoryName: record.repositoryName,
    registryId: record.registryId,
    digest,
    location,
    size: record.bytesReceived,
    settle,
  });
  const { kept, status } = await recorded(upload, finished);
  if (kept !== location) await deps.storage.deleteBlob(location);
  log.debug({ layerDigest: digest, location: kept }, 'layer published');
  if (settle) return { digest, recordedStatus: status };
  await replicated?.();
  return { digest };
}

/** Removes what is left of the upload's storage session (parts nobody committed); idempotent. */
async function cleanUp(upload: Finalizing, deps: FinalizeDeps): Promise<void> {
  await deps.storage.abortUpload(upload.session);
}

/** Publishes exactly the committed parts as one blob and records where, so a re-run reuses it. */
async function publishParts(upload: Finalizing, deps: FinalizeDeps, digest: string | undefined): Promise<BlobLocation> {
  const written = upload.parts.map((part) => ({
    partNumber: part.partNumber,
    size: part.length,
    receipt: part.receipt,
    // The background check flushes every part it passes (verify-stored-part.ts).
    durable: upload.checked.ok.has(part.partNumber),
  }));
  const location = await deps.storage.completeUpload(upload.session, written, digest);
  // Waited for with the next step's Redis commands.
  send(upload, deps.uploads.annotate(upload.record.uploadId, { blobLocation: location }));
  return location;
}

function outcomeOf(record: UploadRecord): FinalizeOutcome {
  if (record.status === 'completed') {
    return {
      outcome: 'completed',
      layerDigest: record.layerDigest!,
      layerSize: record.layerSize!,
      callbackUrl: record.callbackUrl ?? null,
    };
  }
  return {
    outcome: 'failed',
    error: record.error ?? { code: 'FINALIZE_FAILED' },
    callbackUrl: record.callbackUrl ?? null,
  };
}

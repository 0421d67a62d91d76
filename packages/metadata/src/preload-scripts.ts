/*
 * The stores' Lua scripts, loaded into Redis's script cache as a process starts. runScript sends
 * a script by its SHA and its whole body only after a NOSCRIPT answer, so without this the first
 * use of each script on a fresh (or restarted) Redis costs a refused EVALSHA, an EVAL that
 * compiles the body, and, for a write, an fsync'd append of it: about 1–2 ms per script on the
 * critical path of the first push after a start, four scripts deep for a completion (the API's
 * beginCompletion; the worker's startFinalizing, retainBlob and finishFinalizing). A node that
 * joins later (a failover, a restart) still gets each script on first use, as before.
 */
import type { Cluster, Redis } from 'ioredis';
import type { LuaScript } from './keys.js';
import { abortUpload } from './scripts/abort-upload.js';
import { beginCompletion } from './scripts/begin-completion.js';
import { claimPart } from './scripts/claim-part.js';
import { claimRepositorySlot } from './scripts/claim-repository-slot.js';
import { clearRepository } from './scripts/clear-repository.js';
import { commitLastPart } from './scripts/commit-last-part.js';
import { commitPart } from './scripts/commit-part.js';
import { commitUnclaimedLastPart, commitUnclaimedPart } from './scripts/commit-unclaimed-part.js';
import { compareAndDelete } from './scripts/compare-and-delete.js';
import { deleteImage } from './scripts/delete-image.js';
import { deleteImages } from './scripts/delete-images.js';
import { deleteTag } from './scripts/delete-tag.js';
import { discardUpload } from './scripts/discard-upload.js';
import { forgetRepository } from './scripts/forget-repository.js';
import { initiateUpload } from './scripts/initiate-upload.js';
import { linkLayer } from './scripts/link-layer.js';
import { markBlob } from './scripts/mark-blob.js';
import { putImage } from './scripts/put-image.js';
import { recordOutcome } from './scripts/record-outcome.js';
import { recordPull } from './scripts/record-pull.js';
import { releaseClaim } from './scripts/release-claim.js';
import { retainBlob } from './scripts/retain-blob.js';
import { startFinalizing } from './scripts/start-finalizing.js';
import { sweepBlob } from './scripts/sweep-blob.js';
import { untagImage } from './scripts/untag-image.js';
import { updateRepository } from './scripts/update-repository.js';
import { finishFinalizing } from './single-redis/finish-finalizing.js';
import { initiateInRepository } from './single-redis/initiate-in-repository.js';
import { commitUnclaimedPartInRepository } from './single-redis/commit-unclaimed-part-in-repository.js';

/** Every script of the scripts/ and single-redis/ folders. */
export const storeScripts: readonly LuaScript[] = [
  abortUpload,
  beginCompletion,
  claimPart,
  claimRepositorySlot,
  clearRepository,
  commitLastPart,
  commitPart,
  commitUnclaimedLastPart,
  commitUnclaimedPart,
  compareAndDelete,
  deleteImage,
  deleteImages,
  deleteTag,
  discardUpload,
  forgetRepository,
  initiateUpload,
  linkLayer,
  markBlob,
  putImage,
  recordOutcome,
  recordPull,
  releaseClaim,
  retainBlob,
  startFinalizing,
  sweepBlob,
  untagImage,
  updateRepository,
  finishFinalizing,
  initiateInRepository,
  commitUnclaimedPartInRepository,
];

/**
 * Loads `scripts` (SCRIPT LOAD, one pipeline per node) into the script cache of the Redis, or of
 * every master of a Cluster (a script runs on the master of its keys' slot). Answers how many
 * nodes were loaded. Loading a script that is there already changes nothing.
 */
export async function preloadScripts(
  redis: Redis | Cluster,
  scripts: readonly LuaScript[] = storeScripts,
): Promise<number> {
  const nodes: Redis[] = isCluster(redis) ? redis.nodes('master') : [redis];
  await Promise.all(
    nodes.map(async (node) => {
      const pipeline = node.pipeline();
      for (const script of scripts) pipeline.script('LOAD', script.lua);
      const replies = (await pipeline.exec()) ?? [];
      const failed = replies.find(([err]) => err);
      if (failed) throw failed[0];
    }),
  );
  return nodes.length;
}

function isCluster(redis: Redis | Cluster): redis is Cluster {
  return (redis as Cluster).isCluster === true;
}

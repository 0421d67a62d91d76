import { LazyUploads, sharedSecret, UploadIds, type PartPolicy } from '@longshore/metadata';
import { sessionToJson } from '@longshore/storage';
import type { ApiContext } from '../api-context.js';

/**
 * Lets uploads of `policies` start without a durable write (see packages/metadata's
 * lazy-uploads.ts): on a driver whose upload session is known before it is made (local part
 * files), whose directories the first part makes. Ids are signed with a secret every API process
 * shares (the first to start makes it). S3 starts its multipart upload at initiate, as before.
 */
export async function startUploadsLazily(context: ApiContext, policies: PartPolicy[]): Promise<void> {
  const { storage, stores, redis, config } = context;
  const planned = storage.plannedSession?.bind(storage);
  if (!planned) return;
  const secret = await sharedSecret(redis, stores.keys.uploadIdSecret);
  stores.uploads.startLazily(
    new LazyUploads(redis, stores.keys, config, {
      ids: new UploadIds(secret),
      sessionOf: (uploadId) => sessionToJson(planned(uploadId)),
      policies,
    }),
  );
}

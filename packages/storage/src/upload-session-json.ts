import type { UploadSession } from './storage-driver.js';

/** An upload session as stored with its upload's record. */
export function sessionToJson(session: UploadSession): string {
  return JSON.stringify(session);
}

/** The session stored with an upload's record; throws when there is none or it is malformed. */
export function sessionFromJson(json: string | undefined, uploadId: string): UploadSession {
  if (!json) throw new Error(`upload ${uploadId} has no storage session`);
  const session = JSON.parse(json) as UploadSession;
  if (session?.uploadId !== uploadId || typeof session.state !== 'object' || session.state === null) {
    throw new Error(`upload ${uploadId} has a malformed storage session`);
  }
  return session;
}

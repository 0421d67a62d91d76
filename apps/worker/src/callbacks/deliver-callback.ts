import { UnrecoverableError } from 'bullmq';
import { isCallbackAllowed } from '@longshore/domain';
import { toStatusDocument } from '@longshore/domain';
import type { UploadStore } from '@longshore/metadata';
import type { CallbackJobData } from '@longshore/queue';
import { postToReceiver } from './post-to-receiver.js';
import { signBody } from './sign-body.js';

export interface CallbackDeps {
  uploads: Pick<UploadStore, 'get'>;
  allowlist: readonly string[];
  secret: string;
  timeoutMs: number;
}

export const SIGNATURE_HEADER = 'X-Longshore-Signature';

/**
 * POSTs an upload's final status record to its callback URL, signed. Any answer but 2xx (or no
 * answer) throws, and the callback queue retries with backoff.
 */
export async function deliverCallback(job: CallbackJobData, deliveryId: string, deps: CallbackDeps): Promise<number> {
  if (!isCallbackAllowed(job.url, deps.allowlist)) {
    throw new UnrecoverableError('callback URL is not on the allowlist');
  }
  const record = await deps.uploads.get(job.uploadId);
  if (!record) throw new UnrecoverableError('the upload status record has expired');
  const body = JSON.stringify(toStatusDocument(record));
  const headers = {
    'Content-Type': 'application/json',
    'User-Agent': 'Longshore-Callback/1',
    [SIGNATURE_HEADER]: signBody(deps.secret, body),
    'X-Longshore-Event': `upload.${record.status}`,
    'X-Longshore-Delivery': deliveryId,
  };
  return postToReceiver(job.url, { headers, body, timeoutMs: deps.timeoutMs }, 'callback receiver');
}

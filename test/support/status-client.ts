/**
 * Plain-HTTP calls to Longshore's JSON status API (/v1), as a CI job would make them with curl:
 * no SDK, the envelope read as it comes off the wire.
 */

import type { UploadStatusDocument } from '@longshore/domain';
import { authenticateRequest } from './longshore-harness.js';

/** The status record as the service documents it (the OpenAPI test pins it to the wire). */
export type StatusRecord = UploadStatusDocument;

export interface CompleteAccepted {
  id: string;
  uploadId: string;
  status: StatusRecord['status'];
  created_at: string;
  statusUrl: string;
}

export interface ErrorBody {
  code: string;
  message: string;
  field?: string;
  details?: Record<string, unknown>;
}

export type Envelope<T> = { success: true; data: T } | { success: false; error: ErrorBody };

export interface JsonAnswer<T> {
  status: number;
  headers: Headers;
  /** The parsed body, as sent. */
  body: Envelope<T>;
}

/** ISO 8601 UTC to the second, as the status API promises. */
export const ISO_SECONDS = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$/;

export async function callJson<T>(
  endpoint: string,
  method: string,
  path: string,
  init: RequestInit = {},
): Promise<JsonAnswer<T>> {
  const url = `${endpoint}${path}`;
  const response = await fetch(url, await authenticateRequest(url, { method, ...init }));
  const text = await response.text();
  let body: Envelope<T>;
  try {
    body = JSON.parse(text) as Envelope<T>;
  } catch {
    throw new Error(
      `${method} ${path} answered ${response.status} with a body that is not JSON: ${text.slice(0, 200)}`,
    );
  }
  return { status: response.status, headers: response.headers, body };
}

export function completeUpload(
  endpoint: string,
  uploadId: string,
  body: Record<string, unknown>,
): Promise<JsonAnswer<CompleteAccepted>> {
  return callJson<CompleteAccepted>(endpoint, 'POST', `/v1/uploads/${uploadId}/complete`, {
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
}

export function getUpload(endpoint: string, uploadId: string, waitSeconds?: number): Promise<JsonAnswer<StatusRecord>> {
  const query = waitSeconds === undefined ? '' : `?wait=${waitSeconds}`;
  return callJson<StatusRecord>(endpoint, 'GET', `/v1/uploads/${uploadId}${query}`);
}

export function putPart(
  endpoint: string,
  uploadId: string,
  bytes: Uint8Array,
  first: number,
): Promise<JsonAnswer<{ id: string; uploadId: string; lastByteReceived: number; bytesReceived: number }>> {
  return callJson(endpoint, 'PUT', `/v1/uploads/${uploadId}/parts`, {
    headers: {
      'content-type': 'application/octet-stream',
      'content-range': `bytes ${first}-${first + bytes.byteLength - 1}/*`,
    },
    body: bytes,
  });
}

/** The `data` of a success envelope; fails with the error envelope otherwise. */
export function dataOf<T>(answer: JsonAnswer<T>): T {
  if (!answer.body.success) {
    throw new Error(`expected success, got ${answer.status} ${JSON.stringify(answer.body.error)}`);
  }
  return answer.body.data;
}

/** The `error` of an error envelope; fails if the call succeeded. */
export function errorOf(answer: JsonAnswer<unknown>): ErrorBody {
  if (answer.body.success)
    throw new Error(`expected an error, got ${answer.status} ${JSON.stringify(answer.body.data)}`);
  return answer.body.error;
}

/**
 * Long-polls the upload until its status is terminal (completed or failed). Each poll returns
 * as soon as the status changes, so this is bounded by real state changes, not by sleeping.
 */
export async function waitForFinalStatus(
  endpoint: string,
  uploadId: string,
  deadlineMs = 30_000,
): Promise<StatusRecord> {
  const deadline = Date.now() + deadlineMs;
  for (;;) {
    const record = dataOf(await getUpload(endpoint, uploadId, 10));
    if (record.status === 'completed' || record.status === 'failed') return record;
    if (Date.now() > deadline) throw new Error(`upload ${uploadId} still ${record.status} after ${deadlineMs} ms`);
  }
}

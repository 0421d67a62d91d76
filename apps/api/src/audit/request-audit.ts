import type { Request } from 'express';
import type { AuditEvent, AuditLog } from '@longshore/telemetry';
import { sourceOf } from '../auth/signed-request.js';
import '../http/request-facts.js';

/** What a door knows about a mutation once its result is known. */
export type DoorAuditEvent = Omit<AuditEvent, 'keyId' | 'source'>;

/**
 * The API's side of the audit trail: each door calls `record` once per mutating request, where
 * the result is known; the caller's key id and address come from the request. Operations added
 * later are covered by the door's rule (`isMutatingEcrOperation`, the /v2 and /v1 lists).
 */
export class RequestAudit {
  constructor(private readonly log: AuditLog) {}

  get enabled(): boolean {
    return this.log.enabled;
  }

  record(req: Request, event: DoorAuditEvent): void {
    if (!this.log.enabled) return;
    this.log.record({
      ...event,
      keyId: req.callerKeyId ?? 'unauthenticated',
      source: sourceOf(req),
      repository: event.repository ?? req.repositoryName,
    });
  }
}

/** Reads (Describe*, List*, Get*, BatchGet*, BatchCheck*) and unfinished steps of an upload are not audited. */
const NOT_MUTATING = /^(Describe|List|Get|BatchGet|BatchCheck|InitiateLayerUpload$|UploadLayerPart$)/;

/** Every ECR operation that changes something: anything not a read, including operations added later. */
export function isMutatingEcrOperation(operation: string): boolean {
  return !NOT_MUTATING.test(operation);
}

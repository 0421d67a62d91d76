import os from 'node:os';
import { createAuditLog, type AuditLog } from '@longshore/telemetry';

export type KeyAction = 'keys.create' | 'keys.revoke' | 'keys.rotate';

/** The CLI's side of the audit trail: one line per key change, in AUDIT_LOG beside the service's lines. */
export interface KeyAudit {
  record(action: KeyAction, keyId: string, result: string): void;
  close(): void;
}

/** `cli:<local user>`, the one acting (the CLI has no caller key). */
function localActor(): string {
  try {
    return `cli:${os.userInfo().username}`;
  } catch {
    return 'cli';
  }
}

/**
 * Key changes as audit lines: `{ time, audit, action: 'keys.create', door: 'cli', keyId: <the key
 * acted on>, actor: 'cli:<user>', result }`. Never the secret. AUDIT_LOG unset: nothing recorded.
 */
export function createKeyAudit(
  auditLogTarget: string | undefined,
  log: AuditLog = createAuditLog(auditLogTarget),
): KeyAudit {
  const actor = localActor();
  return {
    record(action, keyId, result) {
      log.record({ action, door: 'cli', keyId, actor, result });
    },
    close() {
      log.close();
    },
  };
}

import { pino } from 'pino';

/** One mutating action, as the audit trail records it. Never a secret: no keys, tokens or bodies. */
export interface AuditEvent {
  /** The operation (`CreateRepository`, `v2.PutManifest`, `keys.create`, ...). */
  action: string;
  /** Where it came through: `ecr`, `v1`, `v2`, or `cli`. */
  door: string;
  /** The access key id of the caller (`anonymous`, `unrestricted` with AUTH=off); on `cli` key changes, the key acted on. */
  keyId?: string;
  /** Who acted when there is no caller key: on the `cli` door, `cli:<local user>`. */
  actor?: string;
  /** The client address. */
  source?: string;
  repository?: string;
  digest?: string;
  tag?: string;
  /** `ok`, or the error name that refused it. */
  result: string;
}

export interface AuditLog {
  readonly enabled: boolean;
  record(event: AuditEvent): void;
  /** Writes what is buffered; call before the process exits. */
  close(): void;
}

const disabled: AuditLog = { enabled: false, record: () => undefined, close: () => undefined };

/**
 * The audit trail: one JSON line per mutating action (`time` first), appended to AUDIT_LOG (a
 * file, shared safely by several processes: every line is one O_APPEND write) or written to
 * `stdout`. Unset: nothing is recorded.
 */
export function createAuditLog(target: string | undefined): AuditLog {
  if (!target) return disabled;
  const destination =
    target === 'stdout'
      ? pino.destination({ dest: 1, sync: true })
      : pino.destination({ dest: target, append: true, mkdir: true, sync: true });
  return {
    enabled: true,
    record(event) {
      destination.write(`${JSON.stringify({ time: new Date().toISOString(), audit: true, ...withoutEmpty(event) })}\n`);
    },
    close() {
      if (target !== 'stdout') destination.end();
    },
  };
}

function withoutEmpty(event: AuditEvent): Partial<AuditEvent> {
  return Object.fromEntries(
    Object.entries(event).filter(([, v]) => v !== undefined && v !== ''),
  ) as Partial<AuditEvent>;
}

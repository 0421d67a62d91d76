import type { Readable } from 'node:stream';
import { createInterface } from 'node:readline';

const LEVELS: Record<number, string> = { 40: 'warn', 50: 'error', 60: 'fatal' };
const MAX_KINDS = 30;
const TAIL_LINES = 30;
const MAX_TEXT = 300;

/**
 * What the service processes printed: every warning, error or non-JSON line is counted by kind
 * (process, level, message), so a bench run can say what went wrong without flooding the output.
 */
export class ServiceLog {
  private readonly kinds = new Map<string, number>();
  private readonly tail: string[] = [];

  attach(processName: string, stream: Readable | null): void {
    if (!stream) return;
    createInterface({ input: stream, crlfDelay: Infinity }).on('line', (line) => this.add(processName, line));
  }

  /** E.g. `api error: request failed — ServerException: … (×3)`. */
  issues(): string[] {
    return [...this.kinds].map(([kind, count]) => (count > 1 ? `${kind} (×${count})` : kind));
  }

  /** The last lines of any kind, to explain a process that died. */
  lastLines(): string[] {
    return [...this.tail];
  }

  private add(processName: string, line: string): void {
    if (!line.trim()) return;
    this.tail.push(`${processName}: ${line.slice(0, MAX_TEXT)}`);
    if (this.tail.length > TAIL_LINES) this.tail.shift();
    const kind = kindOf(processName, line);
    if (kind === undefined) return;
    const key = this.kinds.has(kind) || this.kinds.size < MAX_KINDS ? kind : `${processName}: other kinds of messages`;
    this.kinds.set(key, (this.kinds.get(key) ?? 0) + 1);
  }
}

/** The kind of a noteworthy line (process, level, message), or undefined for info and below. */
function kindOf(processName: string, line: string): string | undefined {
  let entry: {
    level?: unknown;
    msg?: unknown;
    err?: { type?: unknown; message?: unknown };
    error?: unknown;
    reason?: unknown;
  };
  try {
    entry = JSON.parse(line) as typeof entry;
  } catch {
    return `${processName} output: ${line.trim().slice(0, MAX_TEXT)}`;
  }
  const level = typeof entry.level === 'number' ? entry.level : 30;
  if (level < 40) return undefined;
  const name = LEVELS[Math.min(60, Math.floor(level / 10) * 10)] ?? `level ${level}`;
  const cause =
    entry.err && typeof entry.err.message === 'string'
      ? ` — ${String(entry.err.type ?? 'Error')}: ${entry.err.message}`
      : typeof entry.error === 'string'
        ? ` — ${entry.error}${typeof entry.reason === 'string' ? `: ${entry.reason}` : ''}`
        : '';
  return `${processName} ${name}: ${String(entry.msg ?? '')}${cause}`.slice(0, MAX_TEXT);
}

import { execFile, execFileSync } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { promisify } from 'node:util';

const run = promisify(execFile);

export interface MemoryReading {
  /** Resident set size now. */
  rssKiB: number;
  /** Peak resident set size since the process started (Linux VmHWM), when known. */
  hwmKiB: number | undefined;
}

/** One reading from /proc/<pid>/status, or from `ps -o rss=` where there is no /proc. */
export async function readMemory(pid: number): Promise<MemoryReading | undefined> {
  try {
    const status = await readFile(`/proc/${pid}/status`, 'utf8');
    const rss = /^VmRSS:\s+(\d+) kB/m.exec(status);
    const hwm = /^VmHWM:\s+(\d+) kB/m.exec(status);
    if (rss) return { rssKiB: Number(rss[1]), hwmKiB: hwm ? Number(hwm[1]) : undefined };
  } catch {
    // no /proc (macOS) or the process is gone: try ps
  }
  try {
    const { stdout } = await run('ps', ['-o', 'rss=', '-p', String(pid)], { timeout: 2_000 });
    const kib = Number(stdout.trim());
    return Number.isFinite(kib) && kib > 0 ? { rssKiB: kib, hwmKiB: undefined } : undefined;
  } catch {
    return undefined;
  }
}

const SAMPLE_INTERVAL_MS = 100;

/**
 * Peak RSS of a few processes: sampled every 100 ms, and on Linux also the kernel's own
 * high-water mark (VmHWM), which catches peaks between samples. Read `peaks()` before the
 * processes exit.
 */
export class MemoryWatch {
  private readonly peakKiB = new Map<string, number>();
  private timer: NodeJS.Timeout | undefined;
  private sampling = false;

  constructor(private readonly pids: Readonly<Record<string, number>>) {}

  start(): void {
    this.timer ??= setInterval(() => void this.sample(), SAMPLE_INTERVAL_MS);
    this.timer.unref();
  }

  /** Takes a last reading, stops sampling, and returns each process's peak in MiB. */
  async peaks(): Promise<Record<string, number>> {
    clearInterval(this.timer);
    this.timer = undefined;
    await this.sample(true);
    return Object.fromEntries([...this.peakKiB].map(([name, kib]) => [name, kib / 1024]));
  }

  private async sample(force = false): Promise<void> {
    if (this.sampling && !force) return; // a slow ps must not pile readings up
    this.sampling = true;
    try {
      await Promise.all(
        Object.entries(this.pids).map(async ([name, pid]) => {
          const reading = await readMemory(pid);
          if (!reading) return;
          const peak = Math.max(reading.rssKiB, reading.hwmKiB ?? 0, this.peakKiB.get(name) ?? 0);
          this.peakKiB.set(name, peak);
        }),
      );
    } finally {
      this.sampling = false;
    }
  }
}

let ticksPerSecond: number | undefined;

/**
 * User and system (kernel: syscalls, fsyncs' writeback, sockets) CPU seconds a process has used so
 * far, apart (Linux /proc); undefined elsewhere.
 */
async function cpuTimes(pid: number): Promise<{ user: number; system: number } | undefined> {
  try {
    const stat = await readFile(`/proc/${pid}/stat`, 'utf8');
    // Fields after the command name, which is in parentheses and may itself contain spaces.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    ticksPerSecond ??= clockTicks();
    return { user: Number(fields[11]) / ticksPerSecond, system: Number(fields[12]) / ticksPerSecond };
  } catch {
    return undefined;
  }
}

function clockTicks(): number {
  try {
    return Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8', timeout: 2_000 }).trim()) || 100;
  } catch {
    return 100;
  }
}

/** CPU use over a window: each process's share, and the server's CPU time in all. */
export interface CpuUse {
  /** Percent of one core each process used (the bench itself as `bench`). */
  percent: Record<string, number>;
  /** Of that, the percent of one core each process spent in the kernel (system time). */
  systemPercent: Record<string, number>;
  /**
   * CPU milliseconds (user + system, all threads) of every process measured but the bench:
   * the service's API, workers and redis-server, or the peer registry. Divided by the pushes
   * of the window, this is the CPU per push.
   */
  serverMs: number;
}

export interface CpuWindow {
  stop(): Promise<CpuUse>;
}

/**
 * Opens a window over the processes' CPU time: /proc/<pid>/stat utime + stime (which count every
 * thread of the process) now and when it stops.
 */
export async function openCpuWindow(pids: Readonly<Record<string, number>>): Promise<CpuWindow> {
  const startedAt = performance.now();
  const ownStart = process.cpuUsage();
  const before = new Map<string, { user: number; system: number }>();
  for (const [name, pid] of Object.entries(pids)) {
    const times = await cpuTimes(pid);
    if (times !== undefined) before.set(name, times);
  }
  return {
    async stop() {
      const wallSeconds = (performance.now() - startedAt) / 1000;
      const own = process.cpuUsage(ownStart);
      const percent: Record<string, number> = { bench: round(((own.user + own.system) / 1e6 / wallSeconds) * 100) };
      const systemPercent: Record<string, number> = { bench: round((own.system / 1e6 / wallSeconds) * 100) };
      let serverSeconds = 0;
      for (const [name, pid] of Object.entries(pids)) {
        const start = before.get(name);
        const end = await cpuTimes(pid);
        if (start === undefined || end === undefined) continue;
        const used = end.user - start.user + (end.system - start.system);
        percent[name] = round((used / wallSeconds) * 100);
        systemPercent[name] = round(((end.system - start.system) / wallSeconds) * 100);
        serverSeconds += used;
      }
      return { percent, systemPercent, serverMs: serverSeconds * 1000 };
    },
  };
}

function round(value: number): number {
  return Math.round(value);
}

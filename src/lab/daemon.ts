// One long-running process the lab started: spawned in its own process group (so a
// terminal's Ctrl-C reaches hellobench, which stops daemons in order), its PID
// recorded on disk (so a later run can clean up after a crash), stopped by PID.
import { UserError } from '../errors.ts';
import { createWriteStream, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { execa } from 'execa';
import { lastLines } from '../util/text.ts';

export class DaemonError extends UserError {}

export interface DaemonSpec {
  /** Component name used in messages and file names. */
  name: string;
  argv: [string, ...string[]];
  /** Directory for the log file and the PID record. */
  dir: string;
  /** Resolves true once the daemon answers. */
  ready: () => Promise<boolean>;
  readyTimeoutMs?: number;
  /** Signal that asks this daemon to shut down cleanly. */
  stopSignal?: NodeJS.Signals;
  /** Wraps the argv, e.g. to run inside a network namespace. */
  prefix?: string[];
  /** Environment variables set on top of hellobench's own. */
  env?: Record<string, string>;
}

export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Executable path of a live PID, to make sure a recorded PID was not reused. */
export function exeOf(pid: number): string | null {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0')[0] ?? null;
  } catch {
    return null;
  }
}

export class Daemon {
  readonly logFile: string;
  private readonly pidFile: string;
  private child: (Promise<unknown> & { pid?: number }) | null = null;
  private exited = false;

  constructor(readonly spec: DaemonSpec) {
    this.logFile = join(spec.dir, `${spec.name}.log`);
    this.pidFile = join(spec.dir, `${spec.name}.pid`);
  }

  get pid(): number | undefined {
    return this.child?.pid;
  }

  /** Started and not exited since (a daemon may die under a sample). */
  get running(): boolean {
    return this.child !== null && !this.exited;
  }

  async start(): Promise<void> {
    const [file, ...args] = [...(this.spec.prefix ?? []), ...this.spec.argv] as [string, ...string[]];
    // The daemon writes its log itself: handed a file, execa would pipe every line through
    // this process, costing a wake-up of hellobench per line while a sample runs.
    // A stream with a file descriptor is shared with the child (execa's types take only literal fds).
    const log = createWriteStream('', { fd: openSync(this.logFile, 'a') });
    this.exited = false;
    try {
      this.child = execa(file, args, { detached: true, cleanup: false, stdin: 'ignore', stdout: log, stderr: log, reject: false, ...(this.spec.env ? { env: this.spec.env } : {}) });
    } finally {
      log.destroy();
    }
    const child = this.child;
    void child.then(() => { this.exited = true; });
    if (!child.pid) throw new DaemonError(`${this.spec.name}: could not start ${file}`);
    writeFileSync(this.pidFile, JSON.stringify({ pid: child.pid, exe: file }));
    const deadline = Date.now() + (this.spec.readyTimeoutMs ?? 30_000);
    while (Date.now() < deadline) {
      if (this.exited) {
        throw new DaemonError(`${this.spec.name} exited during start-up: ${this.tail()} (log: ${this.logFile})`);
      }
      if (await this.spec.ready().catch(() => false)) return;
      await sleep(50);
    }
    await this.stop();
    throw new DaemonError(`${this.spec.name} did not answer within ${(this.spec.readyTimeoutMs ?? 30_000) / 1000}s: ${this.tail()} (log: ${this.logFile})`);
  }

  /** Last meaningful log line, for error messages. */
  tail(): string {
    try {
      return lastLines(readFileSync(this.logFile, 'utf8'), 1, '\n', 300) || '(empty log)';
    } catch {
      return '(no log)';
    }
  }

  /** Asks the daemon to stop, then kills it if it does not within the grace period. */
  async stop(graceMs = 10_000): Promise<void> {
    const child = this.child;
    if (!child?.pid) return;
    if (!this.exited) {
      try { process.kill(child.pid, this.spec.stopSignal ?? 'SIGTERM'); } catch { /* already gone */ }
      const t = setTimeout(() => { try { process.kill(child.pid!, 'SIGKILL'); } catch { /* gone */ } }, graceMs);
      await child;
      clearTimeout(t);
    }
    this.child = null;
    rmSync(this.pidFile, { force: true });
  }
}

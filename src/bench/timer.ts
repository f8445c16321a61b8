// The one place a phase is timed: a monotonic clock read right before the process
// is spawned and right after it ends, nothing else in between.
import { execa } from 'execa';

export interface PhaseResult {
  seconds: number;
  exitCode: number | undefined;
  timedOut: boolean;
  output: string;
  /** Set when the process could not be started or died by a signal. */
  error?: string;
}

export interface PhaseOptions {
  timeoutS: number;
  /** Text written to the process's stdin (then closed); stdin is /dev/null otherwise (an empty pipe costs execa ~1-2 ms per process). */
  input?: string;
}

const seconds = (t0: bigint, t1: bigint) => Number(t1 - t0) / 1e9;

// On a timeout the client is killed outright: `ctr task start` forwards SIGTERM to the
// container, where a PID 1 may ignore it. The lab's next reset kills the task itself.

/** Runs argv to its exit and times it. */
export async function timeProcess(argv: readonly string[], opts: PhaseOptions): Promise<PhaseResult> {
  const [file, ...args] = argv as [string, ...string[]];
  const t0 = process.hrtime.bigint();
  const r = await execa(file, args, { reject: false, all: true, timeout: opts.timeoutS * 1000, killSignal: 'SIGKILL', ...(opts.input !== undefined ? { input: opts.input } : { stdin: 'ignore' as const }) });
  const t1 = process.hrtime.bigint();
  return {
    seconds: seconds(t0, t1), exitCode: r.exitCode, timedOut: r.timedOut, output: r.all ?? '',
    ...(r.failed && !r.timedOut && r.exitCode === undefined ? { error: r.shortMessage } : {}),
  };
}

/**
 * Runs argv until a line of its output contains `line`; the clock stops at that line.
 * `stop` then ends whatever the process started (e.g. kills the container task).
 */
export async function timeUntilLine(argv: readonly string[], line: string, opts: PhaseOptions & { stop: () => Promise<void> }): Promise<PhaseResult & { found: boolean }> {
  const [file, ...args] = argv as [string, ...string[]];
  let t1: bigint | null = null;
  let buffered = '';
  const t0 = process.hrtime.bigint();
  const child = execa(file, args, { reject: false, all: true, timeout: opts.timeoutS * 1000, killSignal: 'SIGKILL', ...(opts.input !== undefined ? { input: opts.input } : { stdin: 'ignore' as const }) });
  child.all?.on('data', (chunk: Buffer) => {
    if (t1 !== null) return;
    buffered += chunk.toString();
    // Only whole lines count; a line may arrive split across chunks.
    const nl = buffered.lastIndexOf('\n');
    if (nl >= 0 && buffered.slice(0, nl).split('\n').some((l) => l.includes(line))) {
      t1 = process.hrtime.bigint();
      void opts.stop();
    }
  });
  const r = await child;
  const end = process.hrtime.bigint();
  if (t1 === null && buffered.split('\n').some((l) => l.includes(line))) t1 = end; // last line without newline
  return {
    seconds: seconds(t0, t1 ?? end), exitCode: r.exitCode, timedOut: r.timedOut && t1 === null,
    output: r.all ?? buffered, found: t1 !== null,
  };
}

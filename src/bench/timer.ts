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
 * Runs argv until a line of its output contains `line`, or until `ready` resolves (a check
 * beside the process, such as an HTTP probe); the clock stops there. `stop` then ends
 * whatever the process started (e.g. kills the container task).
 */
export async function timeUntilLine<R>(argv: readonly string[], line: string | null, opts: PhaseOptions & { stop: () => Promise<void>; ready?: (signal: AbortSignal) => Promise<R | undefined> }): Promise<PhaseResult & { found: boolean; readyValue?: R }> {
  const [file, ...args] = argv as [string, ...string[]];
  let t1: bigint | null = null;
  let buffered = '';
  const found = () => {
    if (t1 !== null) return;
    t1 = process.hrtime.bigint();
    void opts.stop();
  };
  const abort = new AbortController();
  let readyValue: R | undefined;
  const t0 = process.hrtime.bigint();
  const child = execa(file, args, { reject: false, all: true, timeout: opts.timeoutS * 1000, killSignal: 'SIGKILL', ...(opts.input !== undefined ? { input: opts.input } : { stdin: 'ignore' as const }) });
  opts.ready?.(abort.signal).then((v) => {
    if (v === undefined || abort.signal.aborted) return;
    readyValue = v;
    found();
  }, () => {});
  child.all?.on('data', (chunk: Buffer) => {
    if (t1 !== null) return;
    buffered += chunk.toString();
    // Only whole lines count; a line may arrive split across chunks.
    const nl = buffered.lastIndexOf('\n');
    if (line !== null && nl >= 0 && buffered.slice(0, nl).split('\n').some((l) => l.includes(line))) found();
  });
  const r = await child;
  const end = process.hrtime.bigint();
  abort.abort();
  if (t1 === null && line !== null && buffered.split('\n').some((l) => l.includes(line))) t1 = end; // last line without newline
  return {
    seconds: seconds(t0, t1 ?? end), exitCode: r.exitCode, timedOut: r.timedOut && t1 === null,
    output: r.all ?? buffered, found: t1 !== null, ...(readyValue !== undefined ? { readyValue } : {}),
  };
}

/**
 * Times from now until `until` settles: the clock stops when it resolves, or at timeoutS.
 * Its signal is aborted then, either way, so that every wait it started ends. An outcome may carry `endedAtMs`, the
 * wall-clock moment the runtime itself recorded for the end (a container's exit, which it
 * learns of sooner than any client): the time is then measured to that moment.
 */
export async function timeUntil<T extends { endedAtMs?: number }>(until: (signal: AbortSignal) => Promise<T>, timeoutS: number): Promise<{ seconds: number; timedOut: boolean; value?: T }> {
  const abort = new AbortController();
  let timer: NodeJS.Timeout | undefined;
  const expired = new Promise<typeof TIMED_OUT>((r) => { timer = setTimeout(() => r(TIMED_OUT), timeoutS * 1000); });
  const wall0 = performance.timeOrigin + performance.now();
  const t0 = process.hrtime.bigint();
  const v = await Promise.race([until(abort.signal), expired]);
  const t1 = process.hrtime.bigint();
  clearTimeout(timer);
  // Whatever `until` still waits for (the check that lost a race) stops now.
  abort.abort();
  if (v === TIMED_OUT) return { seconds: seconds(t0, t1), timedOut: true };
  const end = (v as T).endedAtMs;
  return { seconds: end !== undefined && end >= wall0 ? (end - wall0) / 1000 : seconds(t0, t1), timedOut: false, value: v as T };
}

const TIMED_OUT = Symbol('timed out');

// The one place a phase is timed: a monotonic clock read right before the process
// is spawned and right after it ends, nothing else in between.
import { execa, type ResultPromise } from 'execa';
import { ProcessOutput } from './output.ts';

export interface PhaseResult {
  seconds: number;
  exitCode: number | undefined;
  timedOut: boolean;
  /** Both streams as they came, without the client's own warnings (output.ts). */
  output: string;
  /** The workload's own stdout: what `expect` reads. */
  stdout: string;
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

/** Collects the child's two streams line by line. */
function collect(child: ResultPromise): ProcessOutput {
  const out = new ProcessOutput();
  child.stdout?.on('data', (c: Buffer) => out.push('stdout', c));
  child.stderr?.on('data', (c: Buffer) => out.push('stderr', c));
  return out;
}

/** Runs argv to its exit and times it. */
export async function timeProcess(argv: readonly string[], opts: PhaseOptions): Promise<PhaseResult> {
  const [file, ...args] = argv as [string, ...string[]];
  const t0 = process.hrtime.bigint();
  const child = execa(file, args, { reject: false, buffer: false, timeout: opts.timeoutS * 1000, killSignal: 'SIGKILL', ...(opts.input !== undefined ? { input: opts.input } : { stdin: 'ignore' as const }) });
  const out = collect(child);
  const r = await child;
  const t1 = process.hrtime.bigint();
  out.end();
  return {
    seconds: seconds(t0, t1), exitCode: r.exitCode, timedOut: r.timedOut, output: out.text(), stdout: out.stdout(),
    ...(r.failed && !r.timedOut && r.exitCode === undefined ? { error: r.shortMessage } : {}),
  };
}

/**
 * Runs argv until a line of its output (either stream: servers such as postgres log to stderr;
 * the client's own warnings never count) contains `line`, or until `ready` resolves (a check
 * beside the process, such as an HTTP probe); the clock stops there. `stop` then ends
 * whatever the process started (e.g. kills the container task), after whatever it does with
 * the server first (a load after ready): the process may live `holdS` seconds past the timeout
 * once found, never before.
 */
export async function timeUntilLine<R>(argv: readonly string[], line: string | null, opts: PhaseOptions & { stop: () => Promise<void>; ready?: (signal: AbortSignal) => Promise<R | undefined>; holdS?: number }): Promise<PhaseResult & { found: boolean; readyValue?: R }> {
  const [file, ...args] = argv as [string, ...string[]];
  let t1: bigint | null = null;
  const found = () => {
    if (t1 !== null) return;
    t1 = process.hrtime.bigint();
    void opts.stop();
  };
  const abort = new AbortController();
  let readyValue: R | undefined;
  const t0 = process.hrtime.bigint();
  const child = execa(file, args, { reject: false, buffer: false, timeout: (opts.timeoutS + (opts.holdS ?? 0)) * 1000, killSignal: 'SIGKILL', ...(opts.input !== undefined ? { input: opts.input } : { stdin: 'ignore' as const }) });
  // The wait itself ends at timeoutS; what holds the process after it was found does not count.
  let waitedOut = false;
  const waitLimit = opts.holdS ? setTimeout(() => { if (t1 === null) { waitedOut = true; child.kill('SIGKILL'); } }, opts.timeoutS * 1000) : undefined;
  opts.ready?.(abort.signal).then((v) => {
    if (v === undefined || abort.signal.aborted) return;
    readyValue = v;
    found();
  }, () => {});
  // Only whole lines count; a line may arrive split across chunks.
  const out = new ProcessOutput();
  const seek = (lines: { text: string }[]) => {
    if (t1 === null && line !== null && lines.some((l) => l.text.includes(line))) found();
  };
  child.stdout?.on('data', (c: Buffer) => seek(out.push('stdout', c)));
  child.stderr?.on('data', (c: Buffer) => seek(out.push('stderr', c)));
  const r = await child;
  const end = process.hrtime.bigint();
  clearTimeout(waitLimit);
  abort.abort();
  const last = out.end();
  if (t1 === null && line !== null && last.some((l) => l.text.includes(line))) t1 = end; // last line without newline
  return {
    seconds: seconds(t0, t1 ?? end), exitCode: r.exitCode, timedOut: (r.timedOut || waitedOut) && t1 === null,
    output: out.text(), stdout: out.stdout(), found: t1 !== null, ...(readyValue !== undefined ? { readyValue } : {}),
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

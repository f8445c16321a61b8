// containerd's CRI plugin driven with crictl, the calls a kubelet makes to start a pod:
// PullImage, RunPodSandbox (pause container, network namespace, CNI), CreateContainer and
// StartContainer, then the pod is up when the workload says so: its HTTP readiness probe
// answers, its wait line is logged, or it exits (with its exit code and output checked).
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { execa, type ResultPromise } from 'execa';
import type { Workload } from '../catalog/schema.ts';
import { httpCheck, readyWhat, untilFileLine, untilHttp } from '../timing/ready.ts';
import { timeProcess, timeUntil } from '../timing/timer.ts';
import type { RuncCgroups } from '../lab/cgroups.ts';
import { lastLines, oneLine } from '../util/text.ts';
import { CriNode, crictlOf, CRICTL, criLeftovers, cniProblems, cniVersion, PAUSE } from './cri-node.ts';
import { processProblem, type ContainerRuntime, type RuntimeContext, type SampleSpec, type Step, type StepResult } from './runtime.ts';

/** How often the exit of a container is checked when its event did not come (a missed subscription). */
const EXIT_POLL_MS = 2000;

export const criRuntime: ContainerRuntime = {
  name: 'cri',
  title: "containerd's CRI plugin through crictl (a kubelet's calls): pull, run pod sandbox, create, start until ready",
  subject: 'pods through CRI',
  phases: ['pull', 'sandbox', 'create', 'run'],
  warmPhases: ['sandbox', 'create', 'run'],
  tools: [CRICTL, PAUSE],
  // The pod goes (CNI DEL with it); the image and its snapshots stay.
  async end(ctx, { id }) {
    const [bin, ...pre] = crictlOf(ctx.labDir, ctx.containerdSock);
    // Matched here by exact name: crictl's --name filter matches a pattern.
    const ls = await execa(bin!, [...pre, 'pods', '-o', 'json'], { reject: false, timeout: 30_000 });
    const items = (JSON.parse(ls.stdout || '{}') as { items?: { id: string; metadata: { name: string } }[] }).items ?? [];
    for (const pod of items.filter((p) => p.metadata.name === id)) {
      await execa(bin!, [...pre, 'rmp', '--force', pod.id], { reject: false, timeout: 60_000 });
    }
  },
  hostProblems: cniProblems,
  // The CRI plugins' config here is containerd 2's (version 3).
  refuses: (c) => (c.configVersion === 3 ? undefined : `needs --containerd 2 (${c.label} is driven through ctr only)`),
  node: () => new CriNode(),
  leftovers: criLeftovers,
  versions: async () => ({ cni: await cniVersion() }),
  steps: (ctx, spec) => new PodSample(ctx, spec).steps(),
};

interface Inspect { state: string; exitCode?: number; finishedAtMs?: number }

/** How the wait after StartContainer ended. */
interface RunWait { endedAtMs?: number; problem?: string; ready?: boolean; answer?: string; exited?: Inspect | null }

class PodSample {
  private podId = '';
  private podIp = '';
  private containerId = '';
  private readonly dir: string;
  private readonly crictl: [string, ...string[]];
  private readonly cgroups: RuncCgroups;

  constructor(ctx: RuntimeContext, private readonly s: SampleSpec) {
    this.crictl = crictlOf(ctx.labDir, ctx.containerdSock) as [string, ...string[]];
    this.cgroups = ctx.cgroups;
    // Under containerd's directory: wiped with it on every reset.
    this.dir = join(ctx.labDir, 'containerd', 'pods', s.id);
  }

  private get w(): Workload {
    return this.s.workload;
  }

  private argv(...args: string[]): string[] {
    return [...this.crictl, ...args];
  }

  private async crictlRun(args: string[], timeoutMs = 30_000) {
    const [bin, ...pre] = this.crictl;
    return execa(bin, [...pre, ...args], { reject: false, all: true, timeout: timeoutMs });
  }

  steps(): Step[] {
    const w = this.w;
    return [
      {
        phase: 'pull',
        run: async () => {
          const r = await timeProcess(this.argv('pull', this.s.ref), { timeoutS: w.timeout });
          return { ...r, problem: processProblem('crictl pull', r, w.timeout) };
        },
      },
      { phase: 'sandbox', run: () => this.sandbox() },
      { phase: 'create', run: () => this.create() },
      { phase: 'run', run: () => this.start() },
    ];
  }

  private async sandbox(): Promise<StepResult> {
    mkdirSync(this.dir, { recursive: true, mode: 0o700 });
    const pod = join(this.dir, 'pod.json');
    writeFileSync(pod, JSON.stringify(podSandboxConfig(this.s.id, join(this.dir, 'logs'), this.cgroups)));
    const r = await timeProcess(this.argv('runp', pod), { timeoutS: this.w.timeout });
    const problem = processProblem('crictl runp', r, this.w.timeout);
    if (problem) return { ...r, problem };
    // crictl prints the ID on stdout, its own log lines on stderr.
    this.podId = r.stdout.trim().split('\n').pop()!.trim();
    // The pod's address, as a kubelet's probes use it (outside the clock: no kubelet phase asks for it).
    if (this.w.ready || this.w.after_ready) {
      const ip = await this.crictlRun(['inspectp', '-o', 'json', this.podId]);
      this.podIp = (JSON.parse(ip.stdout || '{}') as { status?: { network?: { ip?: string } } }).status?.network?.ip ?? '';
      if (!this.podIp) return { ...r, problem: `the pod has no IP address (crictl inspectp: ${lastLines(ip.all)})` };
    }
    return r;
  }

  private async create(): Promise<StepResult> {
    const file = join(this.dir, 'container.json');
    writeFileSync(file, JSON.stringify(this.containerConfig()));
    const r = await timeProcess(this.argv('create', this.podId, file, join(this.dir, 'pod.json')), { timeoutS: this.w.timeout });
    const problem = processProblem('crictl create', r, this.w.timeout);
    if (problem) return { ...r, problem };
    this.containerId = r.stdout.trim().split('\n').pop()!.trim();
    return r;
  }

  /** StartContainer, then until the workload is up; the container's output is its log file. */
  private async start(): Promise<StepResult> {
    const w = this.w;
    const id = this.containerId;
    const exited = this.exitWatch(id);
    try {
      await exited.subscribed;
      const r = await timeUntil(async (signal): Promise<RunWait> => {
        const started = await this.crictlRun(['start', id], w.timeout * 1000);
        if (started.exitCode !== 0) return { problem: `crictl start exited ${started.exitCode}: ${lastLines(started.all)}` };
        // A stdin workload reads its script through an attach, as `kubectl run -i` sends it.
        if (w.stdin !== undefined) this.attach(id, w.stdin);
        if (w.pattern !== 'cmd-arg-wait') {
          const st = await exited.wait(signal);
          return { exited: st, ...(st?.finishedAtMs !== undefined ? { endedAtMs: st.finishedAtMs } : {}) };
        }
        const ready = w.ready ? untilHttp(httpCheck(w, this.podIp), signal) : untilFileLine(this.logFile, w.waitline!, signal);
        return Promise.race([ready.then((v) => ({ ready: v !== undefined && v !== false, ...(typeof v === 'string' ? { answer: v } : {}) })), exited.wait(signal).then((st) => ({ exited: st }))]);
      }, w.timeout);
      // Up: the load after ready, at the pod's address, before the pod's log is read.
      if (r.value?.ready && this.s.afterReady) await this.s.afterReady(this.podIp).catch(() => {});
      // A server probed over HTTP: its answer is part of its output (what the probe saw).
      const log = this.log();
      const output = criLogText(log) + (r.value?.answer ?? '');
      const base = { seconds: r.seconds, exitCode: undefined, timedOut: r.timedOut, output, stdout: criLogText(log, 'stdout') };
      const v = r.value;
      if (r.timedOut) return { ...base, problem: w.pattern === 'cmd-arg-wait' ? `${readyWhat(w)} did not appear within ${w.timeout}s` : `container did not exit within ${w.timeout}s` };
      if (v?.problem) return { ...base, problem: v.problem };
      if (w.pattern === 'cmd-arg-wait') {
        if (v?.ready) return base;
        return { ...base, problem: `container ended (exit ${v?.exited?.exitCode}) before the ${readyWhat(w)}: ${lastLines(output)}` };
      }
      const code = v?.exited?.exitCode;
      if (code !== 0) return { ...base, exitCode: code, problem: `container exited ${code ?? '(unknown)'}: ${lastLines(output)}` };
      if (w.expect && !base.stdout.includes(w.expect)) return { ...base, exitCode: 0, problem: `output lacks the expected "${w.expect}": ${lastLines(output)}` };
      return { ...base, exitCode: 0 };
    } finally {
      exited.close();
    }
  }

  private attach(id: string, input: string): void {
    const [bin, ...pre] = this.crictl;
    void execa(bin, [...pre, 'attach', '--stdin', id], { reject: false, input, timeout: this.w.timeout * 1000 });
  }

  /**
   * The container's exit as CRI reports it: its event stream (subscribed before the clock
   * starts) wakes the sampler; the exit moment is the one containerd recorded.
   */
  private exitWatch(id: string): { subscribed: Promise<void>; wait: (signal: AbortSignal) => Promise<Inspect | null>; close: () => void } {
    const [bin, ...pre] = this.crictl;
    const events: ResultPromise = execa(bin, [...pre, 'events', '--output', 'json'], { reject: false, buffer: false, stdin: 'ignore' });
    let wake: () => void = () => {};
    /** The stop event came (once); `seen` until a wait has taken it. */
    let stopped = false;
    let seen = false;
    let text = '';
    events.stdout?.on('data', (c: Buffer) => {
      text += c.toString();
      if (!stopped && text.includes(id) && text.includes('CONTAINER_STOPPED_EVENT')) {
        stopped = seen = true;
        wake();
      }
    });
    return {
      // The stream has no "subscribed" message; the call is set up within a few ms of the process starting.
      subscribed: new Promise((r) => setTimeout(r, 300)),
      // Asks CRI only when woken (no client process competes with the workload meanwhile).
      wait: async (signal) => {
        while (!signal.aborted) {
          await new Promise<void>((r) => {
            const done = () => { clearTimeout(t); signal.removeEventListener('abort', done); r(); };
            const t = setTimeout(done, EXIT_POLL_MS);
            signal.addEventListener('abort', done, { once: true });
            wake = done;
            if (seen) { seen = false; done(); }
          });
          if (signal.aborted) break;
          const st = await this.inspect(id);
          if (st && st.state === 'CONTAINER_EXITED') return st;
        }
        return null;
      },
      close: () => { events.kill('SIGKILL'); },
    };
  }

  private async inspect(id: string): Promise<Inspect | null> {
    const r = await this.crictlRun(['inspect', '-o', 'json', id]);
    if (r.exitCode !== 0) return null;
    try {
      const st = (JSON.parse(r.stdout) as { status: { state: string; exitCode?: number; finishedAt?: string } }).status;
      const fin = st.finishedAt ? Date.parse(st.finishedAt) + subMs(st.finishedAt) : undefined;
      return { state: st.state, ...(st.exitCode !== undefined ? { exitCode: st.exitCode } : {}), ...(fin && fin > 0 ? { finishedAtMs: fin } : {}) };
    } catch (err) {
      throw new Error(`crictl inspect ${id}: ${oneLine(err)}`);
    }
  }

  private get logFile(): string {
    return join(this.dir, 'logs', 'container.log');
  }

  /** The container's CRI log (`TIME STREAM P|F TEXT` lines); empty if it wrote none. */
  private log(): string {
    try { return readFileSync(this.logFile, 'utf8'); } catch { return ''; }
  }

  private containerConfig(): unknown {
    const w = this.w;
    return {
      metadata: { name: 'workload', attempt: 0 },
      image: { image: this.s.ref },
      ...(w.command ? { command: w.command } : {}),
      envs: Object.entries(w.env).map(([key, value]) => ({ key, value })),
      mounts: w.mounts.map((m) => ({ container_path: m.target, host_path: m.source, readonly: true })),
      log_path: 'container.log',
      ...(w.stdin !== undefined ? { stdin: true, stdin_once: true } : {}),
      linux: {},
    };
  }
}

/**
 * The pod sandbox config crictl sends (RunPodSandbox). Its cgroup parent is said in the driver's
 * form: left empty, runc would nest the pod under the shim's own cgroup, which on cgroup v2 (a
 * job container's cgroup holds processes) cannot take children with controllers.
 */
export function podSandboxConfig(id: string, logDir: string, cgroups: RuncCgroups): unknown {
  return {
    metadata: { name: id, namespace: 'hellobench', uid: id, attempt: 0 },
    log_directory: logDir,
    linux: { cgroup_parent: cgroups.parent },
  };
}

/** The sub-millisecond part of an RFC 3339 time that Date.parse drops. */
function subMs(t: string): number {
  const frac = /\.(\d+)/.exec(t)?.[1];
  return frac && frac.length > 3 ? Number(`0.${frac.slice(3)}`) : 0;
}

/** The text of a CRI log file (of one stream, if named): partial (P) lines joined, full (F) lines ended. */
export function criLogText(raw: string, only?: 'stdout' | 'stderr'): string {
  let out = '';
  for (const line of raw.split('\n')) {
    const m = /^\S+ (stdout|stderr) ([PF]) ?(.*)$/.exec(line);
    if (!m || (only && m[1] !== only)) continue;
    out += m[3] + (m[2] === 'F' ? '\n' : '');
  }
  return out;
}

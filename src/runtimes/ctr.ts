// containerd's own client, as upstream's HelloBench drives it: the system's pull, then
// `ctr container create`, then `ctr task start` until the workload's pattern says it is up.
import { basename } from 'node:path';
import { execa } from 'execa';
import type { Workload } from '../catalog/schema.ts';
import { LabError } from '../lab/errors.ts';
import { httpCheck, readyWhat, untilHttp } from '../timing/ready.ts';
import { timeProcess, timeUntilLine } from '../timing/timer.ts';
import type { Mode } from '../systems/system.ts';
import { lastLines } from '../util/text.ts';
import { processProblem, type ContainerRuntime, type RuntimeContext, type SampleSpec, type Step, type StepResult } from './runtime.ts';

export function createArgv(rt: RuntimeContext, w: Workload, mode: Mode, ref: string, id: string, loaded = false): string[] {
  const argv = [rt.ctr, ...rt.ctrArgs, 'container', 'create', '--snapshotter', mode.system.snapshotter];
  // `ctr container create` takes no cgroup path (1.6 and 2.4 alike): runc gets containerd's
  // default /<namespace>/<id>, a cgroupfs path off the hierarchy's root, right for the lab's driver only.
  if (rt.cgroups.driver !== 'cgroupfs') throw new LabError(`ctr container create cannot place containers for the ${rt.cgroups.driver} cgroup driver: use --runtime cri`);
  // A ctr container's network namespace is empty: a server probed or loaded (`loaded`) over HTTP shares the host's.
  if (w.ready || loaded) argv.push('--net-host');
  for (const [k, v] of Object.entries(w.env)) argv.push('--env', `${k}=${v}`);
  for (const m of w.mounts) argv.push('--mount', `type=bind,src=${m.source},dst=${m.target},options=rbind:ro`);
  argv.push(ref, id);
  // `--` keeps ctr from reading the workload's own flags (e.g. `python3 -c`) as its own.
  if (w.command) argv.push('--', ...w.command);
  return argv;
}

export const ctrRuntime: ContainerRuntime = {
  name: 'ctr',
  title: "containerd's client ctr (upstream HelloBench's way): pull, container create, task start",
  subject: 'containers',
  phases: ['pull', 'create', 'run'],
  warmPhases: ['create', 'run'],
  tools: [],
  // The task only: its container keeps the snapshot until the lab is reset.
  async end(ctx, { id }) {
    await killTask(ctx, id);
    await execa(ctx.ctr, [...ctx.ctrArgs, 'task', 'delete', '--force', id], { reject: false, timeout: 10_000 });
  },
  steps: stepsOf,
};

/** SIGKILL to a task of the lab's own (it may have ended already). */
async function killTask(rt: RuntimeContext, id: string): Promise<void> {
  await execa(rt.ctr, [...rt.ctrArgs, 'task', 'kill', '-s', 'SIGKILL', id], { reject: false, timeout: 10_000 });
}

function stepsOf(ctx: RuntimeContext, spec: SampleSpec): Step[] {
  const { workload: w, mode, ref, id } = spec;
  return [
    {
      phase: 'pull',
      async run() {
        const argv = mode.system.pullArgv(ctx, ref, mode);
        const r = await timeProcess(argv, { timeoutS: w.timeout });
        return { ...r, problem: processProblem(`${basename(argv[0]!)} pull`, r, w.timeout) };
      },
    },
    {
      phase: 'create',
      async run() {
        const r = await timeProcess(createArgv(ctx, w, mode, ref, id, spec.afterReady !== undefined), { timeoutS: w.timeout });
        return { ...r, problem: processProblem('ctr container create', r, w.timeout) };
      },
    },
    { phase: 'run', run: () => runPhase(ctx, w, id, spec.afterReady) },
  ];
}

/** The run phase as the workload's pattern defines it. */
async function runPhase(rt: RuntimeContext, w: Workload, id: string, afterReady?: (address: string) => Promise<void>): Promise<StepResult> {
  const argv = [rt.ctr, ...rt.ctrArgs, 'task', 'start', id];
  const kill = () => killTask(rt, id);
  if (w.pattern === 'cmd-arg-wait') {
    const what = readyWhat(w);
    // Up: the load after ready (on the host's network, as the container is), then the task ends.
    const stop = async () => {
      await afterReady?.('127.0.0.1').catch(() => {});
      await kill();
    };
    const hold = { timeoutS: w.timeout, stop, ...(afterReady && w.after_ready ? { holdS: w.after_ready.seconds + 30 } : {}) };
    const r = w.ready
      ? await timeUntilLine(argv, null, { ...hold, ready: (signal) => untilHttp(httpCheck(w, '127.0.0.1'), signal) })
      : await timeUntilLine(argv, w.waitline!, hold);
    // The server's answer is its output here: what the probe saw.
    if (r.found) return { ...r, output: [r.output.replace(/\n$/, ''), r.readyValue].filter(Boolean).join('\n') };
    if (r.timedOut) {
      await kill();
      return { ...r, problem: `${what} did not appear within ${w.timeout}s` };
    }
    return { ...r, problem: `task ended (exit ${r.exitCode}) before the ${what}: ${lastLines(r.output)}` };
  }
  const r = await timeProcess(argv, { timeoutS: w.timeout, ...(w.stdin !== undefined ? { input: w.stdin } : {}) });
  if (r.timedOut) return { ...r, problem: `task did not exit within ${w.timeout}s` };
  if (r.exitCode !== 0) return { ...r, problem: `task exited ${r.exitCode ?? r.error}: ${lastLines(r.output)}` };
  // The workload's stdout: ctr forwards the container's stderr beside its own warnings.
  if (w.expect && !r.stdout.includes(w.expect)) return { ...r, problem: `output lacks the expected "${w.expect}": ${lastLines(r.output)}` };
  return r;
}

// One sample: pull, create, run, timed each; then the checks that make it count
// (exit code, expected output, lazy mounts). The lab must have been reset before.
import { basename } from 'node:path';
import { execa } from 'execa';
import type { Workload } from '../catalog/schema.ts';
import { bytesBetween, type FetchLog } from '../lab/fetchlog.ts';
import type { Lab } from '../lab/lab.ts';
import type { Mode } from '../systems/index.ts';
import { SAMPLE_SCHEMA, type PhaseName, type Sample, type SampleStatus } from '../results/sample.ts';
import { lastLines } from '../util/text.ts';
import type { MachineWatch } from './machine.ts';
import { timeProcess, timeUntilLine, type PhaseResult } from './timer.ts';

export interface SampleJob {
  workload: Workload;
  mode: Mode;
  /** Image name relative to the registry, with its layer facts. */
  image: { name: string; compressed_bytes: number; layers: number };
  round: number;
  index: number;
  seed: number;
  runId: string;
}

/** Delay before reading the registry log, so responses completed at a phase's end are logged. */
const LOG_SETTLE_MS = 150;

/** The runtime as the sampler drives it: the lab's `ctr` and the argv that points it at the lab. */
export interface Runtime { ctr: string; ctrArgs: string[] }

export function createArgv(rt: Runtime, w: Workload, mode: Mode, ref: string, id: string): string[] {
  const argv = [rt.ctr, ...rt.ctrArgs, 'container', 'create', '--snapshotter', mode.system.snapshotter];
  for (const [k, v] of Object.entries(w.env)) argv.push('--env', `${k}=${v}`);
  for (const m of w.mounts) argv.push('--mount', `type=bind,src=${m.source},dst=${m.target},options=rbind:ro`);
  argv.push(ref, id);
  // `--` keeps ctr from reading the workload's own flags (e.g. `python3 -c`) as its own.
  if (w.command) argv.push('--', ...w.command);
  return argv;
}

/** What a sample needs of the lab (a fake in the unit tests). */
export type SampleLab = Pick<Lab, 'registryHost' | 'sampleContext' | 'linkRxBytes'>;

/** `watch` is the run's: its canary reference and each cell's pressure level build up over the samples. */
export async function measureSample(lab: SampleLab, fetches: FetchLog, job: SampleJob, watch: MachineWatch): Promise<Sample> {
  const { workload: w, mode } = job;
  const ref = `${lab.registryHost}/${job.image.name}`;
  const id = `hb-${job.index}-${w.name}`.slice(0, 60);
  const phases: Partial<Record<PhaseName, number>> = {};
  const bounds: number[] = [Date.now()];
  let status: SampleStatus = 'ok';
  let reason: string | undefined;
  let output = '';
  let lazyMounts: number | undefined;
  fetches.mark();
  const linkBefore = lab.linkRxBytes();

  const fail = (phase: PhaseName, r: PhaseResult, what: string) => {
    status = r.timedOut ? 'timeout' : 'failed';
    reason = r.timedOut ? `${phase}: ${what} did not finish within ${w.timeout}s` : `${phase}: ${what} ${r.error ?? `exited ${r.exitCode}`}: ${lastLines(r.output)}`;
  };

  const endWindow = watch.begin();
  const started_at = new Date().toISOString();
  const ctx = lab.sampleContext();
  const pullArgv = mode.system.pullArgv(ctx, ref, mode);
  const pull = await timeProcess(pullArgv, { timeoutS: w.timeout });
  phases.pull = pull.seconds;
  bounds.push(Date.now());
  if (pull.exitCode !== 0) fail('pull', pull, `${basename(pullArgv[0]!)} pull`);

  if (status === 'ok') {
    const create = await timeProcess(createArgv(ctx, w, mode, ref, id), { timeoutS: w.timeout });
    phases.create = create.seconds;
    bounds.push(Date.now());
    if (create.exitCode !== 0) fail('create', create, 'ctr container create');
    else {
      // A lazy pull that fetched the image whole is not what this mode measures: invalid, not fast.
      if (mode.system.lazyProof) {
        const proof = mode.system.lazyProof(ctx, job.image.layers);
        lazyMounts = proof.mounts;
        if (proof.problem) {
          status = 'invalid';
          reason = `pull: ${proof.problem}`;
        }
      }
      const run = await runPhase(ctx, w, id);
      phases.run = run.seconds;
      bounds.push(Date.now());
      output = run.output;
      if (run.problem && status === 'ok') {
        status = run.timedOut ? 'timeout' : 'failed';
        reason = `run: ${run.problem}`;
      }
    }
  }

  const machine = endWindow();
  const disturbed = watch.judge(`${w.name}/${mode.name}`, machine);
  await new Promise((r) => setTimeout(r, LOG_SETTLE_MS));
  const linkAfter = lab.linkRxBytes();
  const fetched = fetches.read();
  const bytes: Sample['bytes_fetched'] = { total: fetched.reduce((s, f) => s + f.bytes, 0) };
  // Per phase: fetches completed while it ran. `total` also holds what came after (background fetching).
  (['pull', 'create', 'run'] as const).forEach((p, i) => {
    if (bounds[i + 1] !== undefined) bytes[p] = bytesBetween(fetched, bounds[i]!, bounds[i + 1]!);
  });

  const total = phases.pull !== undefined && phases.create !== undefined && phases.run !== undefined
    ? phases.pull + phases.create + phases.run : undefined;
  return {
    schema: SAMPLE_SCHEMA, run_id: job.runId, workload: w.name, image: job.image.name, mode: mode.name,
    round: job.round, index: job.index, seed: job.seed, status, ...(reason ? { reason } : {}),
    phases, ...(total !== undefined ? { total } : {}), started_at,
    image_bytes: job.image.compressed_bytes, layers: job.image.layers, bytes_fetched: bytes,
    ...(lazyMounts !== undefined ? { lazy_mounts: lazyMounts } : {}),
    ...(linkBefore !== undefined && linkAfter !== undefined ? { link_bytes: linkAfter - linkBefore } : {}),
    ...(output ? { output_tail: lastLines(output, 5) } : {}),
    machine, ...(disturbed ? { disturbed } : {}),
  };
}

interface RunOutcome extends PhaseResult { problem?: string }

/** The run phase as the workload's pattern defines it. */
async function runPhase(rt: Runtime, w: Workload, id: string): Promise<RunOutcome> {
  const argv = [rt.ctr, ...rt.ctrArgs, 'task', 'start', id];
  if (w.pattern === 'cmd-arg-wait') {
    const kill = async () => {
      await execa(rt.ctr, [...rt.ctrArgs, 'task', 'kill', '-s', 'SIGKILL', id], { reject: false, timeout: 10_000 });
    };
    const r = await timeUntilLine(argv, w.waitline!, { timeoutS: w.timeout, stop: kill });
    if (r.found) return r;
    if (r.timedOut) {
      await kill();
      return { ...r, problem: `wait line "${w.waitline}" did not appear within ${w.timeout}s` };
    }
    return { ...r, problem: `task ended (exit ${r.exitCode}) before the wait line "${w.waitline}": ${lastLines(r.output)}` };
  }
  const r = await timeProcess(argv, { timeoutS: w.timeout, ...(w.stdin !== undefined ? { input: w.stdin } : {}) });
  if (r.timedOut) return { ...r, problem: `task did not exit within ${w.timeout}s` };
  if (r.exitCode !== 0) return { ...r, problem: `task exited ${r.exitCode ?? r.error}: ${lastLines(r.output)}` };
  if (w.expect && !r.output.includes(w.expect)) return { ...r, problem: `output lacks the expected "${w.expect}": ${lastLines(r.output)}` };
  return r;
}


// One sample: the runtime's phases (pull, [sandbox,] create, run), timed each, with the
// checks that make it count (exit code, expected output, lazy mounts) and what the registry
// served and the machine did meanwhile; with --warm, a second start of the same image after
// it. The lab must have been reset before.
import type { Workload } from '../catalog/schema.ts';
import { fetchedBetween, roundTrips, type FetchLog } from '../lab/fetchlog.ts';
import type { Lab } from '../lab/lab.ts';
import type { ContainerRuntime } from '../runtimes/index.ts';
import type { SampleSpec, Step } from '../runtimes/runtime.ts';
import type { SampleContext } from '../lab/node.ts';
import { snapshotterOf, type Mode } from '../systems/index.ts';
import { SAMPLE_SCHEMA, type Sample, type SampleStatus } from '../results/sample.ts';
import { LoadAfterReady } from './load-after-ready.ts';
import { lastLines, oneLine } from '../util/text.ts';
import type { MachineWatch } from './machine.ts';

export interface SampleJob {
  workload: Workload;
  mode: Mode;
  /** Image name relative to the registry, with its layer facts. */
  image: { name: string; compressed_bytes: number; layers: number };
  round: number;
  index: number;
  seed: number;
  runId: string;
  /** --warm: after the cold start, start the same image again on the node it left. */
  warm?: boolean;
  /** --after-ready: the workload's load once it is up, when it defines one. */
  afterReady?: boolean;
}

/** Delay before reading the registry log, so responses completed at a phase's end are logged. */
const LOG_SETTLE_MS = 150;

/** What a sample needs of the lab (a fake in the unit tests). */
export type SampleLab = Pick<Lab, 'registryHost' | 'sampleContext' | 'linkRxBytes'> & Partial<Pick<Lab, 'daemonUsage' | 'link'>>;

/** Each daemon's figures at the sample's end, with its CPU and peak memory when it was up before the first phase. */
function withStart(end: Sample['daemons'], up: Sample['daemons']): Sample['daemons'] {
  if (!end) return undefined;
  return Object.fromEntries(Object.entries(end).map(([name, d]) => {
    const u = up?.[name];
    return [name, u ? { ...d, start_cpu_s: u.cpu_s, start_rss_mb: u.peak_rss_mb } : d];
  }));
}

/** How a run of a runtime's steps went: each phase's time and the moment it ended, and the first failure. */
interface StepsRun { phases: Record<string, number>; bounds: [string, number][]; status: SampleStatus; reason?: string; output: string; lazyMounts?: number }

/**
 * Runs steps in order until one fails. `proof` is checked after `create` (a cold start's lazy
 * pull); a warm start has none.
 */
async function runSteps(steps: readonly Step[], proof?: () => { mounts: number; problem?: string }): Promise<StepsRun> {
  const out: StepsRun = { phases: {}, bounds: [], status: 'ok', output: '' };
  for (const step of steps) {
    const r = await step.run();
    out.phases[step.phase] = r.seconds;
    out.bounds.push([step.phase, Date.now()]);
    if (step.phase === 'run') out.output = r.output;
    if (r.problem !== undefined) {
      // An invalid lazy pull stays invalid whatever the run phase did after it.
      if (out.status === 'ok') {
        out.status = r.timedOut ? 'timeout' : 'failed';
        out.reason = `${step.phase}: ${r.problem}`;
      }
      break;
    }
    // A lazy pull that fetched the image whole is not what this mode measures: invalid, not fast.
    if (step.phase === 'create' && proof) {
      const p = proof();
      out.lazyMounts = p.mounts;
      if (p.problem) {
        out.status = 'invalid';
        out.reason = `pull: ${p.problem}`;
      }
    }
  }
  return out;
}

/** The sum of `phases` when every one of them was measured. */
function totalOf(times: Record<string, number>, phases: readonly string[]): number | undefined {
  return phases.every((p) => times[p] !== undefined) ? phases.reduce((t, p) => t + times[p]!, 0) : undefined;
}

/**
 * The second start (--warm): the cold sample's container ended, the same image started again
 * on the node as the cold start left it (image, snapshots, the snapshotter's cache and the page
 * cache kept), through the phases a node holding the image repeats.
 */
async function warmStart(ctx: SampleContext, runtime: ContainerRuntime, spec: SampleSpec, fetches: FetchLog): Promise<NonNullable<Sample['warm']>> {
  await runtime.end(ctx, spec);
  const from = Date.now();
  const steps = runtime.steps(ctx, { ...spec, id: `${spec.id.slice(0, 56)}-w` }).filter((s) => runtime.warmPhases.includes(s.phase));
  const r = await runSteps(steps);
  await new Promise((res) => setTimeout(res, LOG_SETTLE_MS));
  const f = fetchedBetween(fetches.read(), from, Date.now());
  const total = totalOf(r.phases, runtime.warmPhases);
  return { status: r.status, ...(r.reason ? { reason: r.reason } : {}), phases: r.phases, ...(total !== undefined ? { total } : {}), bytes_fetched: f.bytes, requests: f.requests };
}

/** `watch` is the run's: its canary reference and each cell's pressure level build up over the samples. */
export async function measureSample(lab: SampleLab, runtime: ContainerRuntime, fetches: FetchLog, job: SampleJob, watch: MachineWatch): Promise<Sample> {
  const { workload: w, mode } = job;
  const spec: SampleSpec = { workload: w, mode, ref: `${lab.registryHost}/${job.image.name}`, id: `hb-${job.index}-${w.name}`.slice(0, 60) };
  // The daemons as they came up, before the first phase: what running them costs whatever is started.
  const readStart = performance.now();
  const daemonsUp = lab.daemonUsage?.();
  const upReadMs = performance.now() - readStart;
  const sampleStart = Date.now();
  fetches.mark();
  const linkBefore = lab.linkRxBytes();

  const endWindow = watch.begin();
  const started_at = new Date().toISOString();
  const ctx = lab.sampleContext();
  const lazyProof = mode.system.lazyProof;
  const load = job.afterReady && w.after_ready ? new LoadAfterReady(w, job.seed) : undefined;
  const cold = await runSteps(runtime.steps(ctx, { ...spec, ...(load ? { afterReady: (address: string) => load.run(address) } : {}) }), lazyProof && (() => lazyProof(ctx, job.image.layers)));
  // The run phase's bytes are those fetched until the server was up, not while it was loaded.
  const run = load?.window && cold.bounds.find(([p]) => p === 'run');
  if (run) run[1] = Math.min(run[1], load.window![0]);
  // What the container read through the lazy mounts, where the system counts it: not a condition of the sample.
  const readBytes = cold.status === 'ok' ? await mode.system.readBytes?.(ctx).catch(() => undefined) : undefined;
  // The daemons' cost so far is the cold start's (they started with it), read once its phases are over.
  const readEnd = performance.now();
  const daemons = withStart(lab.daemonUsage?.(), daemonsUp);
  const daemonsReadMs = upReadMs + performance.now() - readEnd;
  const settled = async () => {
    await new Promise((r) => setTimeout(r, LOG_SETTLE_MS));
    return { linkAfter: lab.linkRxBytes(), fetched: fetches.read() };
  };
  // With --warm, the cold start's bytes are those logged before the warm one began, and the
  // machine window covers both starts; else the window closes with the phases.
  let cut: Awaited<ReturnType<typeof settled>> | undefined;
  let warm: Sample['warm'];
  if (job.warm && cold.status === 'ok') {
    cut = await settled();
    warm = await warmStart(ctx, runtime, spec, fetches);
  }
  const machine = endWindow();
  const disturbed = watch.judge(`${w.name}/${mode.name}`, machine);
  const { linkAfter, fetched } = cut ?? await settled();
  const bytes: Sample['bytes_fetched'] = { total: fetched.reduce((s, f) => s + f.bytes, 0) };
  const requests: NonNullable<Sample['requests']> = { total: fetched.length };
  // Per phase: fetches completed while it ran. `total` also holds what came after (background fetching).
  cold.bounds.forEach(([p, end], i) => {
    const f = fetchedBetween(fetched, i === 0 ? sampleStart : cold.bounds[i - 1]![1], end);
    bytes[p] = f.bytes;
    requests[p] = f.requests;
  });

  const rtt = lab.link?.rttMs;
  const upAt = cold.bounds.at(-1)?.[1];
  const roundTripsUp = rtt && upAt ? roundTrips(fetched.filter((f) => f.at >= sampleStart && f.at < upAt), rtt) : undefined;

  const total = totalOf(cold.phases, runtime.phases);
  const { status, reason, output } = cold;
  return {
    schema: SAMPLE_SCHEMA, run_id: job.runId, workload: w.name, image: job.image.name, mode: mode.name,
    round: job.round, index: job.index, seed: job.seed, status, ...(reason ? { reason } : {}),
    phases: cold.phases, ...(total !== undefined ? { total } : {}), started_at,
    image_bytes: job.image.compressed_bytes, layers: job.image.layers, bytes_fetched: bytes, requests,
    ...(daemons ? { daemons, daemons_read_ms: daemonsReadMs } : {}),
    ...(cold.lazyMounts !== undefined ? { lazy_mounts: cold.lazyMounts } : {}),
    ...(readBytes !== undefined ? { read_bytes: readBytes } : {}),
    ...(roundTripsUp !== undefined ? { round_trips: roundTripsUp } : {}),
    ...(linkBefore !== undefined && linkAfter !== undefined ? { link_bytes: linkAfter - linkBefore } : {}),
    ...(output ? { output_tail: lastLines(output, 5) } : {}),
    ...(warm ? { warm } : {}),
    ...(load?.outcome ? { after_ready: load.result(fetched) } : {}),
    machine, ...(disturbed ? { disturbed } : {}),
  };
}

/** One sample on a freshly reset lab; a lab failure becomes a failed sample and the run goes on. */
export async function takeSample(lab: SampleLab & Pick<Lab, 'reset'>, runtime: ContainerRuntime, fetches: FetchLog, job: SampleJob, watch: MachineWatch): Promise<Sample> {
  try {
    await lab.reset(snapshotterOf(job.mode));
    return await measureSample(lab, runtime, fetches, job, watch);
  } catch (err) {
    return {
      schema: SAMPLE_SCHEMA, run_id: job.runId, workload: job.workload.name, image: job.image.name, mode: job.mode.name,
      round: job.round, index: job.index, seed: job.seed, status: 'failed', reason: `lab: ${oneLine(err)}`, phases: {},
      started_at: new Date().toISOString(), image_bytes: job.image.compressed_bytes, layers: job.image.layers, bytes_fetched: { total: 0 },
    };
  }
}

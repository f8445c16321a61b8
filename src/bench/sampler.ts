// One sample: the runtime's phases (pull, [sandbox,] create, run), timed each, with the
// checks that make it count (exit code, expected output, lazy mounts) and what the registry
// served and the machine did meanwhile. The lab must have been reset before.
import type { Workload } from '../catalog/schema.ts';
import { fetchedBetween, type FetchLog } from '../lab/fetchlog.ts';
import type { Lab } from '../lab/lab.ts';
import type { ContainerRuntime } from '../runtimes/index.ts';
import { snapshotterOf, type Mode } from '../systems/index.ts';
import { SAMPLE_SCHEMA, type Sample, type SampleStatus } from '../results/sample.ts';
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
}

/** Delay before reading the registry log, so responses completed at a phase's end are logged. */
const LOG_SETTLE_MS = 150;

/** What a sample needs of the lab (a fake in the unit tests). */
export type SampleLab = Pick<Lab, 'registryHost' | 'sampleContext' | 'linkRxBytes'> & Partial<Pick<Lab, 'daemonUsage'>>;

/** `watch` is the run's: its canary reference and each cell's pressure level build up over the samples. */
export async function measureSample(lab: SampleLab, runtime: ContainerRuntime, fetches: FetchLog, job: SampleJob, watch: MachineWatch): Promise<Sample> {
  const { workload: w, mode } = job;
  const ref = `${lab.registryHost}/${job.image.name}`;
  const id = `hb-${job.index}-${w.name}`.slice(0, 60);
  const phases: Record<string, number> = {};
  const bounds: [string, number][] = [];
  let status: SampleStatus = 'ok';
  let reason: string | undefined;
  let output = '';
  let lazyMounts: number | undefined;
  const sampleStart = Date.now();
  fetches.mark();
  const linkBefore = lab.linkRxBytes();

  const endWindow = watch.begin();
  const started_at = new Date().toISOString();
  const ctx = lab.sampleContext();
  for (const step of runtime.steps(ctx, { workload: w, mode, ref, id })) {
    const r = await step.run();
    phases[step.phase] = r.seconds;
    bounds.push([step.phase, Date.now()]);
    if (step.phase === 'run') output = r.output;
    if (r.problem !== undefined) {
      // An invalid lazy pull stays invalid whatever the run phase did after it.
      if (status === 'ok') {
        status = r.timedOut ? 'timeout' : 'failed';
        reason = `${step.phase}: ${r.problem}`;
      }
      break;
    }
    // A lazy pull that fetched the image whole is not what this mode measures: invalid, not fast.
    if (step.phase === 'create' && mode.system.lazyProof) {
      const proof = mode.system.lazyProof(ctx, job.image.layers);
      lazyMounts = proof.mounts;
      if (proof.problem) {
        status = 'invalid';
        reason = `pull: ${proof.problem}`;
      }
    }
  }

  const machine = endWindow();
  // The daemons' cost so far is the sample's (they started with it), read once its phases are over.
  const readStart = performance.now();
  const daemons = lab.daemonUsage?.();
  const daemonsReadMs = performance.now() - readStart;
  const disturbed = watch.judge(`${w.name}/${mode.name}`, machine);
  await new Promise((r) => setTimeout(r, LOG_SETTLE_MS));
  const linkAfter = lab.linkRxBytes();
  const fetched = fetches.read();
  const bytes: Sample['bytes_fetched'] = { total: fetched.reduce((s, f) => s + f.bytes, 0) };
  const requests: NonNullable<Sample['requests']> = { total: fetched.length };
  // Per phase: fetches completed while it ran. `total` also holds what came after (background fetching).
  bounds.forEach(([p, end], i) => {
    const f = fetchedBetween(fetched, i === 0 ? sampleStart : bounds[i - 1]![1], end);
    bytes[p] = f.bytes;
    requests[p] = f.requests;
  });

  // The total is the sum of the runtime's phases, present when every one was measured.
  const total = runtime.phases.every((p) => phases[p] !== undefined) ? runtime.phases.reduce((t, p) => t + phases[p]!, 0) : undefined;
  return {
    schema: SAMPLE_SCHEMA, run_id: job.runId, workload: w.name, image: job.image.name, mode: mode.name,
    round: job.round, index: job.index, seed: job.seed, status, ...(reason ? { reason } : {}),
    phases, ...(total !== undefined ? { total } : {}), started_at,
    image_bytes: job.image.compressed_bytes, layers: job.image.layers, bytes_fetched: bytes, requests,
    ...(daemons ? { daemons, daemons_read_ms: daemonsReadMs } : {}),
    ...(lazyMounts !== undefined ? { lazy_mounts: lazyMounts } : {}),
    ...(linkBefore !== undefined && linkAfter !== undefined ? { link_bytes: linkAfter - linkBefore } : {}),
    ...(output ? { output_tail: lastLines(output, 5) } : {}),
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

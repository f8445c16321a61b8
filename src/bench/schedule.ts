// The scheduler: which sample is taken when. Every (workload, mode) once per round in the
// seeded order (plan.ts); a disturbed sample taken again at the end of its round; whole rounds
// added under --until-ci until every median is sure enough; a resumed run takes only what its
// plan still lacks. It decides; `take` (lab reset and sampler) measures.
import type { Workload } from '../catalog/schema.ts';
import type { RunMeta } from '../results/metadata.ts';
import type { Sample } from '../results/sample.ts';
import type { Mode } from '../systems/index.ts';
import { rounds, type Order } from './plan.ts';
import { planProgress, progressCount, progressLine } from './progress.ts';
import { jobDone } from './resume.ts';
import type { SampleJob } from './sampler.ts';

/** A disturbed sample (set aside) is taken again at the end of its round, at most this many times. */
export const MAX_RETAKES = 2;

/** A cell whose median's interval is still wider than --until-ci asks. */
export type UnsureCell = NonNullable<RunMeta['unsure']>[number];

export interface SchedulePlan {
  workloads: readonly Workload[];
  modes: readonly Mode[];
  seed: number;
  order: Order;
  runId: string;
  /** --samples: rounds taken whatever happens. */
  minRounds: number;
  /** The rounds --until-ci may go to (minRounds without it). */
  maxRounds: number;
  keepDisturbed: boolean;
  /** The prepared image of a cell; a cell without one is not planned. */
  imageOf(workload: string, mode: string): SampleJob['image'] | undefined;
  /** --until-ci: its percentage and the cells not yet within it. */
  untilCi?: { percent: number; unsure(samples: readonly Sample[]): UnsureCell[] };
}

export interface ScheduleHooks {
  /** Measures one sample on a cold lab; a lab failure comes back as a failed sample. */
  take(job: SampleJob): Promise<Sample>;
  /** Before every round after the first (the machine check). */
  beforeRound?(round: number): Promise<void>;
  /** A sample as soon as it is taken (to the store). */
  taken(sample: Sample): void;
  /** After each round: how many were taken, and the cells --until-ci still waits for. */
  roundDone?(rounds: number, unsure: UnsureCell[] | undefined): void;
  log(line: string): void;
  /** True once the run is interrupted: nothing more is taken, and a sample cut short is dropped. */
  aborted(): boolean;
}

/** Takes the plan's samples into `samples` (which holds a resumed run's earlier ones). */
export async function runSchedule(plan: SchedulePlan, samples: Sample[], hooks: ScheduleHooks): Promise<void> {
  const { keepDisturbed, minRounds, untilCi } = plan;
  const cells = cellsOf(plan);
  const order = rounds(plan.workloads, plan.modes, plan.seed, plan.order);
  const loopStart = performance.now();
  const takenBefore = samples.length;
  for (let round = 0; round < plan.maxRounds && !hooks.aborted(); round++) {
    if (round > 0) await hooks.beforeRound?.(round);
    const triesOf = (x: { workload: Workload; mode: Mode }) => samples.filter((s) => s.round === round && s.workload === x.workload.name && s.mode === x.mode.name);
    // A resumed run takes only what its plan still lacks; a job's earlier tries count as retakes.
    const queue = order.next().value.filter((x) => plan.imageOf(x.workload.name, x.mode.name) && !jobDone(triesOf(x), keepDisturbed, MAX_RETAKES + 1));
    const retakes = new Map(queue.map((x) => [x, triesOf(x).length]));
    while (queue.length && !hooks.aborted()) {
      const job = queue.shift()!;
      const sample = await hooks.take({ ...job, index: samples.length, image: plan.imageOf(job.workload.name, job.mode.name)!, seed: plan.seed, runId: plan.runId });
      if (hooks.aborted()) break; // a sample cut short by Ctrl-C is not a measurement
      hooks.taken(sample);
      samples.push(sample);
      // Kept disturbed samples count as they are: nothing to take again.
      const again = !keepDisturbed && sample.status === 'ok' && sample.disturbed !== undefined && (retakes.get(job) ?? 0) < MAX_RETAKES;
      if (again) {
        retakes.set(job, (retakes.get(job) ?? 0) + 1);
        queue.push(job);
      }
      // --until-ci's plan grows by a round at a time, past --samples.
      const planned = cells * Math.max(minRounds, round + 1);
      const { done, retaken } = planProgress(samples);
      const secondsEach = (performance.now() - loopStart) / 1000 / (samples.length - takenBefore);
      const count = progressCount({ done, planned, retaken, secondsEach, left: planned - done + queue.filter((x) => triesOf(x).length > 0).length });
      hooks.log(progressLine(sample, round, count) + (again ? ' (taken again at the end of the round)' : ''));
    }
    const unsure = untilCi && round + 1 >= minRounds && !hooks.aborted() ? untilCi.unsure(samples) : undefined;
    hooks.roundDone?.(round + 1, unsure);
    if (!untilCi || !unsure) continue;
    if (!unsure.length) {
      hooks.log(`--until-ci ${untilCi.percent}: every median's 95% interval is within ±${untilCi.percent}% after ${round + 1} rounds`);
      return;
    }
    hooks.log(`--until-ci ${untilCi.percent}: ${unsure.length} cell(s) not yet within ±${untilCi.percent}% after ${round + 1} rounds (${unsure.slice(0, 4).map((u) => `${u.workload} ${u.mode} ${u.half_width_pct === undefined ? 'no sample' : `±${u.half_width_pct.toFixed(1)}%`}`).join(', ')}${unsure.length > 4 ? ', ...' : ''})`);
    if (round + 1 === plan.maxRounds) hooks.log(`--until-ci ${untilCi.percent}: stopped at --max-samples ${plan.maxRounds}; not within ±${untilCi.percent}%: ${unsure.map((u) => `${u.workload} ${u.mode}`).join(', ')}`);
  }
}

/** The cells a plan measures: every workload x mode with a prepared image. */
const cellsOf = (plan: Pick<SchedulePlan, 'workloads' | 'modes' | 'imageOf'>) =>
  plan.workloads.reduce((n, w) => n + plan.modes.filter((m) => plan.imageOf(w.name, m.name)).length, 0);

/** The samples a plan takes when every one counts at its first try. */
export function plannedSamples(plan: Pick<SchedulePlan, 'workloads' | 'modes' | 'minRounds' | 'imageOf'>): number {
  return cellsOf(plan) * plan.minRounds;
}

// The scheduler without a lab: rounds in their seeded order, re-takes of disturbed samples at
// the end of their round, a resumed run's missing samples only, --until-ci, and Ctrl-C.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { MAX_RETAKES, plannedSamples, runSchedule, type SchedulePlan, type UnsureCell } from '../../src/bench/schedule.ts';
import type { SampleJob } from '../../src/bench/sampler.ts';
import { parseCatalog } from '../../src/catalog/load.ts';
import { SAMPLE_SCHEMA, type Sample } from '../../src/results/sample.ts';
import type { Mode, SnapshotterSystem } from '../../src/systems/system.ts';

const system = { name: 'fake', title: 'fake', tools: [], snapshotter: 'fake', modes: [], hostChecks: () => [], pullArgv: () => [] } as SnapshotterSystem;
const modes: Mode[] = ['base', 'lazy'].map((name) => ({ name, tag: name, system, options: {} }));
const workloads = parseCatalog(`workloads:
  - { name: a, category: distro, image: { ref: r/a:1 }, pattern: cmd-arg, args: ["true"], timeout: 5 }
  - { name: b, category: distro, image: { ref: r/b:1 }, pattern: cmd-arg, args: ["true"], timeout: 5 }
`, 'fake.yaml');

function plan(over: Partial<SchedulePlan> = {}): SchedulePlan {
  return {
    workloads, modes, seed: 7, order: 'shuffled', runId: 'r', minRounds: 2, maxRounds: 2, keepDisturbed: false,
    imageOf: () => ({ name: 'img', compressed_bytes: 10, layers: 1 }), ...over,
  };
}

const sampleOf = (job: SampleJob, over: Partial<Sample> = {}): Sample => ({
  schema: SAMPLE_SCHEMA, run_id: job.runId, workload: job.workload.name, image: job.image.name, mode: job.mode.name, round: job.round,
  index: job.index, seed: job.seed, status: 'ok', phases: { pull: 1, run: 1 }, total: 2, started_at: '', image_bytes: 10, layers: 1,
  bytes_fetched: { total: 0 }, ...over,
});

/** Runs a plan with `take` answering each job; returns the samples and the log. */
async function schedule(p: SchedulePlan, answer: (job: SampleJob, tries: number) => Partial<Sample> = () => ({}), samples: Sample[] = [], aborted = () => false) {
  const lines: string[] = [];
  const tries = new Map<string, number>();
  const rounds: number[] = [];
  await runSchedule(p, samples, {
    take: async (job) => {
      const key = `${job.round}/${job.workload.name}/${job.mode.name}`;
      tries.set(key, (tries.get(key) ?? 0) + 1);
      return sampleOf(job, answer(job, tries.get(key)!));
    },
    taken: () => {}, log: (l) => lines.push(l), aborted, roundDone: (n) => rounds.push(n),
  });
  return { samples, lines, rounds };
}

test('every cell once per round, rounds in order, cells without an image left out of the plan', async () => {
  const p = plan({ imageOf: (w, m) => (w === 'b' && m === 'lazy' ? undefined : { name: 'img', compressed_bytes: 10, layers: 1 }) });
  const { samples, rounds } = await schedule(p);
  assert.equal(plannedSamples(p), 6);
  assert.equal(samples.length, 6);
  assert.deepEqual(samples.map((s) => s.round), [0, 0, 0, 1, 1, 1]);
  assert.deepEqual(samples.map((s) => s.index), [0, 1, 2, 3, 4, 5]);
  assert.ok(!samples.some((s) => s.workload === 'b' && s.mode === 'lazy'));
  assert.deepEqual(rounds, [1, 2]);
  // Seeded: the same plan, the same order.
  assert.deepEqual((await schedule(p)).samples.map((s) => `${s.workload}/${s.mode}`), samples.map((s) => `${s.workload}/${s.mode}`));
});

test('a disturbed sample is taken again at the end of its round, at most MAX_RETAKES times; kept ones are not', async () => {
  const disturbed = (job: SampleJob) => (job.workload.name === 'a' && job.mode.name === 'lazy' && job.round === 0 ? { disturbed: 'CPU steal 9% > 5%' } : {});
  const { samples, lines } = await schedule(plan({ maxRounds: 1, minRounds: 1 }), disturbed);
  const tries = samples.filter((s) => s.workload === 'a' && s.mode === 'lazy');
  assert.equal(tries.length, 1 + MAX_RETAKES);
  assert.deepEqual(samples.slice(-MAX_RETAKES).map((s) => `${s.workload}/${s.mode}`), Array(MAX_RETAKES).fill('a/lazy'), 'at the end of the round');
  assert.match(lines[0]!, /^\[1\/4\]/);
  assert.ok(lines.some((l) => l.includes('(taken again at the end of the round)')));
  // Calm at its second try: taken twice only.
  assert.equal((await schedule(plan({ maxRounds: 1, minRounds: 1 }), (j, n) => (n === 1 ? disturbed(j) : {}))).samples.length, 5);
  assert.equal((await schedule(plan({ maxRounds: 1, minRounds: 1, keepDisturbed: true }), disturbed)).samples.length, 4);
});

test('a resumed run takes only what its plan still lacks', async () => {
  const partial: Sample[] = [];
  const first = await schedule(plan(), () => ({}), partial, () => partial.length >= 3);
  assert.equal(first.samples.length, 3, 'interrupted after three samples');
  const { samples } = await schedule(plan(), () => ({}), [...first.samples]);
  assert.equal(samples.length, 8);
  assert.equal(new Set(samples.map((s) => `${s.round}/${s.workload}/${s.mode}`)).size, 8, 'no job taken twice');
});

test('--until-ci adds whole rounds until no cell is unsure, and says where it stopped', async () => {
  let calls = 0;
  const unsure = (samples: readonly Sample[]): UnsureCell[] => { calls++; return samples.length < 16 ? [{ workload: 'a', mode: 'lazy', n: 2, half_width_pct: 9 }] : []; };
  const { samples, lines } = await schedule(plan({ minRounds: 2, maxRounds: 10, untilCi: { percent: 5, unsure } }));
  assert.equal(samples.length, 16, 'four rounds of four cells');
  assert.equal(calls, 3, 'asked after --samples rounds and each round past them');
  assert.ok(lines.some((l) => l.includes('every median\'s 95% interval is within ±5% after 4 rounds')));
  const capped = await schedule(plan({ minRounds: 1, maxRounds: 2, untilCi: { percent: 5, unsure: () => [{ workload: 'a', mode: 'lazy', n: 2 }] } }));
  assert.equal(capped.samples.length, 8);
  assert.ok(capped.lines.some((l) => l.includes('stopped at --max-samples 2; not within ±5%: a lazy')));
});

test('once aborted, a sample cut short is dropped and nothing more is taken', async () => {
  let n = 0;
  const { samples } = await schedule(plan(), () => ({}), [], () => n++ >= 3);
  assert.equal(samples.length, 1);
});

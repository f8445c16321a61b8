// A run disturbed as a whole: it is not called a measurement, the calm machine is kept across
// runs, and compare/history do not blame the system for the machine.
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { calmCanary, loadReference, referenceFile, saveReference, withChecks } from '../../src/bench/reference.ts';
import { buildHistory } from '../../src/history/build.ts';
import { regressionAnnotations } from '../../src/history/github.ts';
import { findRuns } from '../../src/history/runs.ts';
import type { MachineCheck } from '../../src/results/machine.ts';
import type { Sample } from '../../src/results/sample.ts';
import { compareRuns, machineDiffered } from '../../src/stats/compare.ts';
import { runTrust } from '../../src/stats/trust.ts';
import { resultSetMeta, writeResultSet } from '../support/result-sets.ts';
import { syntheticSamples } from '../support/synthetic.ts';

const root = mkdtempSync(join(tmpdir(), 'hb-trust-'));
after(() => rmSync(root, { recursive: true, force: true }));

const MODES = ['legacy', 'estargz-noopt', 'estargz'];
/** Figures of a sample beside the storm of short-lived hashing processes (recorded, docs/noisy-machines.md). */
const STORM = { steal_pct: 0, foreign_cpu_pct: 85.19, low_priority_cpu_pct: 0, competing_cpu_pct: 85.19, canary_ms: 8.7, canary_ratio: 1.85 };
const CALM = { steal_pct: 0, foreign_cpu_pct: 0.27, low_priority_cpu_pct: 0, competing_cpu_pct: 0.27, canary_ms: 4.7, canary_ratio: 1 };

function run(seed: number, machine: typeof CALM, o: { disturbed?: (s: Sample) => string | undefined; slower?: number; bytes?: { mode: string; factor: number } } = {}): Sample[] {
  return syntheticSamples({ workloads: ['hello', 'checksum'], modes: MODES, rounds: 6, seed }).map((s) => {
    const why = o.disturbed?.(s);
    const k = o.slower ?? 1;
    const b = o.bytes?.mode === s.mode ? o.bytes.factor : 1;
    return {
      ...s, total: s.total! * k, machine, ...(why ? { disturbed: why } : {}),
      bytes_fetched: { ...s.bytes_fetched, total: s.bytes_fetched.total * b },
    };
  });
}

const check = (round: number, canary: number, busy?: string): MachineCheck => ({
  at: `2026-12-07T15:0${round}:00Z`, round, seconds: 2, canary_ms: canary, steal_pct: 0, competing_cpu_pct: busy ? 85.19 : 0.3, low_priority_cpu_pct: 0, ...(busy ? { busy } : {}),
});

test('a run with every sample set aside is not a measurement: one line names the cells and the dominant reason', () => {
  const all = run(1, STORM, { disturbed: () => 'CPU taken outside the lab 85.2% > 10%' });
  const t = runTrust(all);
  assert.equal(t.set_aside, 36);
  assert.equal(t.jobs_set_aside, 36);
  assert.equal(t.empty.length, 6);
  assert.deepEqual(t.dominant, { kind: 'CPU taken outside the lab', n: 36 });
  assert.equal(t.problem, 'the machine was too busy to measure: 36 of 36 planned samples were set aside as disturbed after their re-takes; 36 of the 36 samples set aside were for CPU taken outside the lab; '
    + 'no counted sample in hello legacy, hello estargz-noopt, hello estargz, checksum legacy, checksum estargz-noopt, checksum estargz. Run on a calmer machine, or pass --keep-disturbed to count them');
  assert.ok(!t.problem.includes('\n'));
  assert.equal(runTrust(all, true).problem, undefined, '--keep-disturbed counts them');
});

test('a run with a few samples set aside is a measurement; one with a cell left empty, or most jobs set aside, is not', () => {
  const few = run(1, CALM, { disturbed: (s) => (s.round === 2 ? 'canary 2.3x the calm machine\'s > 2x' : undefined) });
  assert.equal(runTrust(few).problem, undefined);
  const oneCell = run(1, CALM, { disturbed: (s) => (s.workload === 'hello' && s.mode === 'estargz' ? 'I/O pressure 70.0% > 50.0%' : undefined) });
  assert.match(runTrust(oneCell).problem!, /6 of 36 planned samples were set aside as disturbed after their re-takes; 6 of the 6 samples set aside were for I\/O pressure; no counted sample in hello estargz\./);
  const most = run(1, CALM, { disturbed: (s) => (s.round < 4 ? 'CPU taken outside the lab 20.0% > 10%' : undefined) });
  assert.match(runTrust(most).problem!, /^the machine was too busy to measure: 24 of 36 planned samples were set aside/);
  // Failed samples are --max-failed's business, not this.
  assert.equal(runTrust(syntheticSamples({ workloads: ['a'], modes: ['legacy'], rounds: 3, status: { 'a/legacy': 'failed' } })).problem, undefined);
});

test('re-takes that end counted are a measurement, however many were set aside on the way', () => {
  // Recorded (CRI e2e, loopback, 1 round): 0.4 s samples stall the CPU past the 25% floor until
  // their cell has a level; each job counted at its third try. 4 of 6 samples set aside, 0 of 2 jobs.
  const job = (mode: string, tries: (string | undefined)[]) => tries.map((why, i): Sample => ({
    ...syntheticSamples({ workloads: ['hello'], modes: [mode], rounds: 1 })[0]!, index: i, machine: CALM, ...(why ? { disturbed: why } : {}),
  }));
  const samples = [...job('legacy', ['CPU pressure 26.0% > 25.0%', 'CPU pressure 29.5% > 25.0%', undefined]), ...job('estargz', ['CPU pressure 34.2% > 25.0%', 'CPU pressure 31.4% > 25.0%', undefined])];
  const t = runTrust(samples);
  assert.deepEqual([t.set_aside, t.jobs, t.jobs_set_aside, t.problem], [4, 2, 0, undefined]);
});

test('the calm machine is kept across runs per host and CPU, from calm checks only', () => {
  const file = referenceFile(join(root, 'machine'), 'runner/1', 'AMD EPYC', 2);
  assert.match(file, /machine\/runner_1-[0-9a-f]{12}\.json$/);
  assert.notEqual(file, referenceFile(join(root, 'machine'), 'runner/1', 'AMD EPYC', 4), 'a resized VM is another machine');
  const blank = loadReference(file);
  assert.deepEqual(blank.checks, []);
  assert.equal(calmCanary(blank), undefined);
  const first = withChecks(blank, [check(0, 4.76), check(1, 8.7, 'CPU taken outside the lab 85.2% > 10%'), check(2, 4.9)]);
  assert.deepEqual(first.checks.map((c) => c.canary_ms), [4.76, 4.9], 'a busy check says nothing of the calm machine');
  saveReference(first, file);
  assert.deepEqual(loadReference(file).checks, first.checks);
  const many = withChecks(first, Array.from({ length: 60 }, (_, i) => check(i, 5 + i / 100)));
  assert.equal(many.checks.length, 50, 'the last 50 are kept');
  assert.deepEqual(calmCanary(withChecks(blank, [4.7, 4.8, 4.9, 6, 9].map((c, i) => check(i, c)))), { canary_ms: 4.8, checks: 5 });
  writeFileSync(file, '{ not json');
  assert.deepEqual(loadReference(file).checks, [], 'an unreadable reference starts again');
});

test('compare: runs on machines that differed are not judged by time; bytes fetched still are', () => {
  const calm = run(1, CALM);
  // The storm run's counted samples were slowed 20%, with the canary 85% slower.
  const storm = run(2, STORM, { slower: 1.2 });
  const why = machineDiffered(calm, storm);
  assert.equal(why, 'the machine\'s canary took 4.70 ms in base and 8.70 ms in new (+85%, beyond ±10%)');
  assert.ok(compareRuns(calm, storm).some((c) => c.verdict === 'regression'), 'judged by time, the machine looks like a regression');
  const changes = compareRuns(calm, storm, { machineDiffered: why });
  assert.ok(changes.every((c) => c.verdict === 'machine differed' && c.basis === 'bytes'), JSON.stringify(changes.map((c) => c.verdict)));
  // A system that fetches 20% more is a regression whatever the machine did.
  const more = compareRuns(calm, run(3, STORM, { slower: 1.2, bytes: { mode: 'estargz', factor: 1.2 } }), { machineDiffered: why });
  assert.deepEqual(more.filter((c) => c.verdict === 'regression').map((c) => `${c.workload} ${c.mode}`), ['hello estargz', 'checksum estargz']);
  assert.ok(Math.abs(more.find((c) => c.verdict === 'regression')!.fetched!.bytes.ratio - 1.2) < 1e-9);
  // Within 10%: judged by time as before.
  assert.equal(machineDiffered(calm, run(4, { ...CALM, canary_ms: 5.0 })), undefined);
  // A run whose checks found the machine busy before most rounds differs, whatever its counted samples' canary.
  const checks = [check(0, 8.7, 'CPU taken outside the lab 85.2% > 10%'), check(1, 8.6, 'CPU taken outside the lab 80.0% > 10%'), check(2, 4.8)];
  assert.equal(machineDiffered(calm, run(5, CALM), { next: { checks } }), 'the machine was busy before 2 of 3 rounds of new (CPU taken outside the lab 85.2% > 10%)');
  assert.equal(machineDiffered(calm, run(5, CALM), { next: { checks: checks.slice(1) } }), undefined, 'busy before half the rounds is not most');
});

test('history: the calm machine of each kind comes from every run\'s checks; a run on a busy machine gets "machine differed", not a regression, and a notice', () => {
  const write = (i: number, samples: Sample[], checks: MachineCheck[]) => {
    const meta = { ...resultSetMeta(samples, { run_id: `run-${i}`, started_at: new Date(Date.UTC(2026, 11, i, 3)).toISOString(), seed: i }), machine: { checks } };
    return writeResultSet(join(root, `h-${i}`), samples, meta);
  };
  const dirs = [
    write(1, run(1, CALM), [check(0, 4.7), check(1, 4.8)]),
    write(2, run(2, CALM), [check(0, 4.75), check(1, 4.7)]),
    // A new runner of the same kind, busy throughout: its own checks are not calm, the history's are.
    write(3, run(3, { ...CALM, canary_ms: 5.1 }, { slower: 1.2 }), [check(0, 7.9), check(1, 8.1)]),
  ];
  const { runs } = findRuns(dirs);
  const h = buildHistory(runs, { minChange: 0.05, keepDisturbed: false });
  assert.equal(h.runs[1]!.machine_differed, undefined);
  assert.ok(h.runs[1]!.changes.every((c) => c.verdict === 'no change'));
  const third = h.runs[2]!;
  assert.deepEqual(third.machine, { checks: 2, busy: 0, canary_ms: 8, calm_ms: 4.71, slow: 'its checks\' canary was 1.70x the calm synthetic\'s over the history (> 1.25x)' });
  assert.equal(third.machine_differed, `new: ${third.machine!.slow}`);
  assert.ok(third.changes.every((c) => c.verdict === 'machine differed'), JSON.stringify(third.changes.map((c) => c.verdict)));
  const notes = regressionAnnotations(h);
  assert.equal(notes.length, 1);
  assert.match(notes[0]!, /^::notice title=hellobench machine differed::run-3 vs run-2: new: its checks' canary was 1.70x/);
  assert.ok(!readFileSync(join(dirs[2]!, 'run.json'), 'utf8').includes('slow'), 'history judges; it does not rewrite run.json');
});

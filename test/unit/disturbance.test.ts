import assert from 'node:assert/strict';
import { test } from 'node:test';
import { checkBusy, cpuShares, disturbance, disturbanceKind, MachineWatch, THRESHOLDS, type MachineFigures, type Snapshot } from '../../src/bench/machine.ts';
import { counted } from '../../src/results/sample.ts';
import { compareRuns, MACHINE_SHIFT, machineShift } from '../../src/stats/compare.ts';
import { pairedRatios, summarize, unsureCells } from '../../src/stats/summary.ts';
import { syntheticSamples } from '../support/synthetic.ts';

const calm: MachineFigures = { steal_pct: 0, cpu_pressure_pct: 12, io_pressure_pct: 20, memory_pressure_pct: 0, canary_ms: 8, canary_ratio: 1.05 };

test('a calm sample is not disturbed; each figure over its threshold is named', () => {
  assert.equal(disturbance(calm), undefined);
  assert.equal(disturbance({ ...calm, cpu_pressure_pct: 31.4 }), 'CPU pressure 31.4% > 25.0%');
  assert.equal(disturbance({ ...calm, io_pressure_pct: 49 }), undefined, 'a cell without a reference tolerates FUSE-level I/O stalls');
  assert.equal(disturbance({ ...calm, io_pressure_pct: 62 }), 'I/O pressure 62.0% > 50.0%');
  assert.equal(disturbance({ ...calm, steal_pct: 12 }), 'CPU steal 12.0% > 5%');
  assert.equal(disturbance({ ...calm, steal_pct: 5.3 }), 'CPU steal 5.3% > 5%', 'just over reads as over');
  assert.equal(disturbance({ ...calm, memory_pressure_pct: 6 }), 'memory pressure 6.0% > 5%');
  assert.equal(disturbance({ ...calm, canary_ratio: 2.31 }), 'canary 2.31x the calm machine\'s > 2x');
  assert.equal(disturbance({ ...calm, canary_ratio: 1.8 }), undefined, 'the lab\'s own start-up takes the canary to 1.8x');
  // A kernel without PSI still judges by what it has.
  assert.equal(disturbance({ canary_ms: 8, canary_ratio: 1 }), undefined);
  assert.equal(disturbance({ ...calm, cpu_pressure_pct: THRESHOLDS.pressure_floor }), undefined, 'at the threshold is not over it');
});

test('pressure is judged against the cell\'s calm level', () => {
  // A FUSE system stalls on I/O for ~40% of a calm sample: 52% is within its margin, 56% is not.
  assert.equal(disturbance({ ...calm, io_pressure_pct: 52 }, { io: 40 }), undefined);
  assert.equal(disturbance({ ...calm, io_pressure_pct: 56 }, { io: 40 }), 'I/O pressure 56.0% > 55.0% (cell\'s 40.0% + 15)');
  // A legacy pull stalls ~5%: the floor, not 5 + 15, is its limit.
  assert.equal(disturbance({ ...calm, io_pressure_pct: 24 }, { io: 5 }), undefined);
  assert.equal(disturbance({ ...calm, io_pressure_pct: 38 }, { io: 5 }), 'I/O pressure 38.0% > 25.0% (cell\'s 5.0% + 15)');
  const watch = new MachineWatch();
  const fig = (io: number): MachineFigures => ({ ...calm, io_pressure_pct: io });
  assert.deepEqual(watch.reference('py/nydus'), {});
  assert.equal(watch.judge('py/nydus', fig(42)), undefined, 'a first sample is judged by the fixed limits');
  assert.deepEqual(watch.reference('py/nydus'), { cpu: 12, io: 42 });
  assert.equal(watch.judge('py/nydus', fig(38)), undefined);
  assert.equal(watch.judge('py/nydus', fig(90)), 'I/O pressure 90.0% > 53.0% (cell\'s 38.0% + 15)');
  assert.equal(watch.reference('py/nydus').io, 38, 'a disturbed sample does not move the reference');
  // A hog from a cell's first sample on: the first marked sample is no reference for the next.
  const cpu = (v: number): MachineFigures => ({ ...calm, cpu_pressure_pct: v });
  assert.equal(watch.judge('py/estargz', cpu(59)), 'CPU pressure 59.0% > 25.0%');
  assert.equal(watch.judge('py/estargz', cpu(54)), 'CPU pressure 54.0% > 25.0%');
  // Short samples whose own work stalls the CPU past the floor: after two marked, the rest count.
  assert.equal(watch.judge('hello/estargz', cpu(30)), 'CPU pressure 30.0% > 25.0%');
  assert.equal(watch.judge('hello/estargz', cpu(32)), 'CPU pressure 32.0% > 25.0%');
  assert.equal(watch.judge('hello/estargz', cpu(28)), undefined);
  assert.equal(watch.judge('hello/estargz', cpu(31)), undefined);
  assert.equal(watch.reference('hello/estargz').cpu, 28);
  // Samples marked by a process outside the lab are no reference, however many.
  const hog = (c: number): MachineFigures => ({ ...calm, cpu_pressure_pct: c, foreign_cpu_pct: 70 });
  for (const c of [56, 54, 52]) assert.equal(watch.judge('hello/legacy', hog(c)), 'CPU taken outside the lab 70.0% > 10%');
  assert.equal(watch.judge('hello/legacy', cpu(51)), 'CPU pressure 51.0% > 25.0%');
  assert.deepEqual(watch.reference('py/legacy'), {});
});

test('the machine watch reads real kernel figures over a window, and a check over a few seconds', async () => {
  const watch = new MachineWatch();
  const c = await watch.check(0, 0.5);
  assert.ok(c.canary_ms > 0 && c.seconds >= 0.5 && c.round === 0, JSON.stringify(c));
  assert.equal(c.busy, undefined, 'no calm reference and no lab: nothing to call it busy by but steal');
  const end = watch.begin();
  await new Promise((r) => setTimeout(r, 200));
  const f = end();
  assert.ok(f.canary_ms > 0 && f.canary_ratio >= 1, JSON.stringify(f));
  assert.ok(f.steal_pct !== undefined && f.steal_pct >= 0 && f.steal_pct <= 100, JSON.stringify(f));
  assert.equal(f.competing_cpu_pct, undefined, 'without the lab\'s cgroup, nothing is said of others');
  for (const k of ['cpu_pressure_pct', 'io_pressure_pct', 'memory_pressure_pct'] as const) {
    if (f[k] !== undefined) assert.ok(f[k]! >= 0 && f[k]! <= 100.5, `${k} ${f[k]}`);
  }
});

/** Two snapshots 3 s apart on this 2-core VM, recorded (docs/noisy-machines.md): /proc/stat jiffies, kernel threads' ticks, the lab cgroup's CPU. */
function recorded(jiffies: number[], kernel: number, labMs: number): [Snapshot, Snapshot] {
  const zero = { ms: 0, cpu: jiffies.map(() => 0), kernel: 0, psi: {}, lab: { cpu_ns: 0, pressure: {} } };
  return [zero, { ms: 3000, cpu: jiffies, kernel, psi: {}, lab: { cpu_ns: labMs * 1e6, pressure: {} } }];
}

test('CPU of others is the machine\'s busy time less the lab\'s cgroup and kernel threads; nice time competes at its measured weight', () => {
  // The lab spinning 40% of the time alone.
  assert.deepEqual(cpuShares(...recorded([129, 0, 3, 487, 0, 0, 0, 0], 1, 1293)), { steal_pct: 0, foreign_cpu_pct: 0.27, low_priority_cpu_pct: 0, competing_cpu_pct: 0.27 });
  // Beside a `nice -n 19` busy loop: half the machine, weighed at 0.75 (it slowed lazy samples
  // 9.7% where a normal-priority loop slowed them 11.7%).
  assert.deepEqual(cpuShares(...recorded([129, 309, 1, 181, 0, 0, 0, 0], 1, 1286)), { steal_pct: 0, foreign_cpu_pct: 49.9, low_priority_cpu_pct: 49.84, competing_cpu_pct: 37.44 });
  // Beside the same loop at normal priority.
  assert.deepEqual(cpuShares(...recorded([438, 0, 1, 178, 0, 0, 0, 0], 1, 1291)), { steal_pct: 0, foreign_cpu_pct: 50.06, low_priority_cpu_pct: 0, competing_cpu_pct: 50.06 });
  // A storm of short-lived hashing processes (two loops of sha256sum on 40 MB, ~0.1 s each): none
  // alive at both ends of a window, all counted.
  const storm = cpuShares(...recorded([575, 0, 37, 3, 0, 0, 0, 0], 0, 881));
  assert.equal(storm.competing_cpu_pct, 85.19);
  assert.equal(disturbance({ ...calm, ...storm }), 'CPU taken outside the lab 85.2% > 10%');
  assert.equal(disturbance({ ...calm, ...cpuShares(...recorded([129, 309, 1, 181, 0, 0, 0, 0], 1, 1286)) }), 'CPU taken outside the lab 37.4% > 10%');
  // Constructed, not recorded: a little low-priority work (8% of the machine, weighed 6%) stays under the threshold.
  assert.equal(disturbance({ ...calm, ...cpuShares(...recorded([150, 48, 3, 399, 0, 0, 0, 0], 1, 1500)) }), undefined);
  // Older samples had only foreign_cpu_pct: it is what they are judged by.
  assert.equal(disturbance({ ...calm, foreign_cpu_pct: 41.5 }), 'CPU taken outside the lab 41.5% > 10%');
  // No lab counters (no cgroup): steal alone.
  const [a, b] = recorded([438, 0, 1, 178, 0, 0, 0, 0], 1, 1291);
  assert.deepEqual(cpuShares({ ...a, lab: undefined }, b), { steal_pct: 0 });
  // The lab's counter may run a few ms ahead of the jiffies: never a negative share.
  assert.equal(cpuShares(...recorded([100, 0, 0, 500, 0, 0, 0, 0], 0, 1100)).foreign_cpu_pct, 0);
});

test('a machine check is busy by steal, competing CPU, or a canary over the calm machine\'s', () => {
  const check = { at: '2026-12-07T15:00:00Z', round: 0, seconds: 2, canary_ms: 4.8, steal_pct: 0, foreign_cpu_pct: 1, low_priority_cpu_pct: 0, competing_cpu_pct: 1 };
  assert.equal(checkBusy(check, 4.7), undefined);
  assert.equal(checkBusy({ ...check, foreign_cpu_pct: 50, low_priority_cpu_pct: 50, competing_cpu_pct: 37.5 }, 4.7), 'CPU taken outside the lab 37.5% > 10%', 'a nice-19 loop beside');
  assert.equal(checkBusy({ ...check, competing_cpu_pct: 85.19 }, 4.7), 'CPU taken outside the lab 85.2% > 10%');
  assert.equal(checkBusy({ ...check, canary_ms: 8.7 }, 4.7), 'canary 1.85x the calm machine\'s > 1.25x');
  assert.equal(checkBusy({ ...check, canary_ms: 8.7 }, undefined), undefined, 'a machine\'s first run has no calm canary to judge by');
  assert.equal(checkBusy({ ...check, steal_pct: 9 }, 4.7), 'CPU steal 9.0% > 5%');
  assert.equal(disturbanceKind('CPU taken outside the lab 85.2% > 10%'), 'CPU taken outside the lab');
  assert.equal(disturbanceKind('canary 2.31x the calm machine\'s > 2x'), 'canary');
  assert.equal(disturbanceKind('I/O pressure 56.0% > 55.0% (cell\'s 40.0% + 15)'), 'I/O pressure');
});

test('samples are judged against the calm machine\'s canary, not only the run\'s fastest', () => {
  // A run that starts busy: its own fastest canary is 9 ms; the machine's calm one is 4.5 ms.
  const watch = new MachineWatch(() => undefined, 4.5);
  assert.equal(watch.calm(), 4.5);
  assert.equal(new MachineWatch().calm(), Infinity, 'no reference and no canary yet');
});

test('disturbed samples are set aside by default and counted with keepDisturbed', () => {
  const samples = syntheticSamples({ workloads: ['a'], modes: ['legacy', 'estargz'], rounds: 5 });
  // The machine slowed round 2 of estargz threefold, and it was seen.
  const hit = samples.find((s) => s.mode === 'estargz' && s.round === 2)!;
  hit.total = hit.total! * 3;
  hit.disturbed = 'CPU pressure 90% > 35%';
  assert.equal(counted(hit), false);
  assert.equal(counted(hit, true), true);
  const clean = summarize(samples, { percentile: 95, seed: 1 });
  const cell = clean.cells.find((c) => c.mode === 'estargz')!;
  assert.equal(cell.set_aside, 1);
  assert.equal(cell.stats.total!.n, 4);
  assert.ok(cell.stats.total!.max < hit.total);
  const kept = summarize(samples, { percentile: 95, seed: 1, keepDisturbed: true }).cells.find((c) => c.mode === 'estargz')!;
  assert.equal(kept.set_aside, 0);
  assert.equal(kept.stats.total!.max, hit.total);
  // compare leaves it out too: the disturbed run compares equal to the calm one.
  const calm = syntheticSamples({ workloads: ['a'], modes: ['legacy', 'estargz'], rounds: 5, seed: 3 });
  assert.ok(compareRuns(calm, samples).every((c) => c.verdict === 'no change'));
});

test('compare sees a machine that was slower over a whole run by the canary, from counted samples only', () => {
  const run = (canary: number, seed: number) => syntheticSamples({ workloads: ['a'], modes: ['legacy', 'estargz'], rounds: 5, seed })
    .map((s, i) => ({ ...s, machine: { steal_pct: 0, foreign_cpu_pct: 1, canary_ms: canary + (i % 3) * 0.1, canary_ratio: 1, cpu_pressure_pct: 5, io_pressure_pct: 5, memory_pressure_pct: 0 } }));
  const base = run(8, 1);
  const slower = run(8.6, 2);
  // A disturbed sample's canary is not the run's: it is left out as its total is.
  slower[0]!.machine.canary_ms = 100;
  slower[0]!.disturbed = 'canary 12.5x > 2x';
  const shift = machineShift(base, slower)!;
  assert.equal(shift.base, 8.1);
  assert.equal(shift.next, 8.7);
  assert.ok(shift.ratio - 1 >= MACHINE_SHIFT);
  assert.ok(machineShift(base, slower, true)!.next > 8.7 - 1e-9);
  assert.ok(Math.abs(machineShift(base, run(8, 3))!.ratio - 1) < 1e-9);
  // Runs from before the canary have no figure to judge by.
  assert.equal(machineShift(syntheticSamples({ workloads: ['a'], modes: ['legacy'], rounds: 2 }), base), undefined);
});

test('paired speed-ups pair the rounds both modes have; their interval is narrower under drift', () => {
  // Drift: round r runs (1 + r/2) times slower for every mode; the speed-up stays 10x.
  const samples = syntheticSamples({ workloads: ['a'], modes: ['legacy', 'estargz'], rounds: 8 }).map((s) => ({
    ...s, total: s.total! * (1 + s.round / 2) * (s.mode === 'legacy' ? 10 / s.total! : 1 / s.total!) * (1 + (s.index % 3) * 0.01),
  }));
  const up = summarize(samples, { percentile: 95, seed: 1 }).speedups[0]!;
  assert.ok(up.paired, 'paired speed-up present');
  assert.equal(up.paired.n, 8);
  assert.ok(Math.abs(up.paired.factor - 10) < 0.3, `paired ${up.paired.factor}`);
  const width = (ci: [number, number]) => ci[1] - ci[0];
  assert.ok(width(up.paired.ci) * 5 < width(up.ci), `paired ${up.paired.ci} vs independent ${up.ci}`);
  // A round missing one side gives no pair.
  assert.deepEqual(pairedRatios(samples.filter((s) => s.mode === 'legacy' && s.round < 3), samples.filter((s) => s.mode === 'estargz' && s.round > 0)).length, 2);
});

test('unsure cells: wide intervals and cells without a counted sample are named', () => {
  const samples = syntheticSamples({ workloads: ['a', 'b'], modes: ['legacy', 'estargz'], rounds: 6, status: { 'b/estargz': 'failed' } });
  // The synthetic noise is ±5% per phase: well within ±10%, not within ±0.5%.
  assert.deepEqual(unsureCells(samples, 10, { seed: 1 }).map((u) => `${u.workload}/${u.mode}/${u.n}`), ['b/estargz/0']);
  const tight = unsureCells(samples, 0.5, { seed: 1 });
  assert.ok(tight.length >= 3 && tight.every((u) => u.n === 0 || u.half_width_pct! > 0.5), JSON.stringify(tight));
});

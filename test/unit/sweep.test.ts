// A sweep of links: its grid from the flags, where each mode's speed-up crosses 1 along the RTT
// (with the interval its bounds give), and the fastest system at each link.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { sweepGrid } from '../../src/commands/sweep.ts';
import { bestByLink, crossing, crossovers, type SweepPoint } from '../../src/stats/crossover.ts';
import { sweepSpec } from '../../src/report/sweep.ts';

test('the grid: every bandwidth x RTT, sorted, named by its flags; bad values name the flag', () => {
  const grid = sweepGrid('1gbit,20mbit', '150ms,2ms');
  assert.deepEqual(grid.map((g) => g.name), ['20mbit-2ms', '20mbit-150ms', '1gbit-2ms', '1gbit-150ms']);
  assert.deepEqual([grid[1]!.bandwidth, grid[1]!.rtt_ms], [20e6, 150]);
  assert.throws(() => sweepGrid('20mbit,fast', '2ms'), /--bandwidth: "fast" is not a rate/);
  assert.throws(() => sweepGrid('20mbit', '0ms'), /--rtt: every RTT of a sweep must be above 0/);
  assert.throws(() => sweepGrid('20mbit,20mbit', '2ms'), /--bandwidth: "20mbit,20mbit" names a value twice/);
});

test('the crossing: linear between the two RTTs around it; below the grid and beyond it said apart', () => {
  // 3x at 2 ms, 1.5x at 30 ms, 0.5x at 150 ms: 1 is reached half way from 30 to 150 ms.
  assert.equal(crossing([2, 30, 150], [3, 1.5, 0.5]), 90);
  assert.equal(crossing([2, 30, 150], [0.9, 0.5, 0.2]), -Infinity);
  assert.equal(crossing([2, 30, 150], [3, 2, 1.2]), null);
});

const point = (mode: string, rtt: number, factor: number, half = 0.1, bandwidth = 100e6): SweepPoint => ({ workload: 'a', mode, bandwidth, rtt_ms: rtt, factor, ci: [factor - half, factor + half] });

test('crossovers per image, mode and bandwidth, with the RTTs where the interval bounds cross', () => {
  const points = [
    point('legacy', 2, 1), point('legacy', 30, 1), point('legacy', 150, 1),
    point('estargz', 2, 3), point('estargz', 30, 1.5, 0.6), point('estargz', 150, 0.5),
    point('soci', 2, 0.8), point('soci', 30, 0.6), point('soci', 150, 0.3),
    point('nydus', 2, 4), point('nydus', 30, 3), point('nydus', 150, 2),
  ];
  const c = crossovers(points);
  assert.deepEqual(c.map((x) => [x.mode, x.verdict]), [['estargz', 'crosses'], ['soci', 'never'], ['nydus', 'beyond']]);
  const e = c[0]!;
  assert.equal(e.rtt_ms, 90);
  // Lower bounds 2.9, 0.9, 0.4: below 1 between 2 and 30 ms; upper bounds 3.1, 2.1, 0.6: between 30 and 150.
  assert.ok(e.interval![0]! > 2 && e.interval![0]! < 30, String(e.interval));
  assert.ok(e.interval![1]! > 90 && e.interval![1]! < 150, String(e.interval));
});

test('the fastest system at each link, its best mode standing for it, legacy at 1x, and whether its lead is clear', () => {
  const best = bestByLink([
    point('estargz', 2, 3, 0.1), point('estargz-noopt', 2, 2), point('nydus', 2, 2.5, 0.1),
    point('estargz', 150, 0.5), point('nydus', 150, 0.8),
  ]);
  const at2 = best.find((b) => b.rtt_ms === 2)!;
  assert.deepEqual([at2.mode, at2.system, at2.next?.mode, at2.clear], ['estargz', 'stargz', 'nydus', true]);
  assert.ok(Math.abs(at2.margin! - 1.2) < 1e-9);
  const at150 = best.find((b) => b.rtt_ms === 150)!;
  assert.deepEqual([at150.mode, at150.system, at150.next?.mode], ['legacy', 'overlayfs', 'nydus']);
});

test('the charts: speed-up against RTT a panel per bandwidth, against bandwidth a panel per RTT, a row per image', () => {
  const points = [point('estargz', 2, 3), point('estargz', 150, 0.5), point('estargz', 2, 2, 0.1, 20e6)];
  const byRtt = sweepSpec(points, 'rtt') as unknown as { facet: { column: { field: string } }; data: { values: { panelBw: string }[] } };
  assert.equal(byRtt.facet.column.field, 'panelBw');
  assert.deepEqual([...new Set(byRtt.data.values.map((v) => v.panelBw))], ['100 Mbit/s', '20 Mbit/s']);
  assert.equal((sweepSpec(points, 'bandwidth') as unknown as { facet: { column: { field: string } } }).facet.column.field, 'panelRtt');
});

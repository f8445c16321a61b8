import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { parse } from 'csv-parse/sync';
import { mean, median, sampleStandardDeviation } from 'simple-statistics';
import { buildReport } from '../../src/report/index.ts';
import { ReportError } from '../../src/report/input.ts';
import { buildModel, fetchedTable, imagesTable } from '../../src/report/model.ts';
import { UserError } from '../../src/errors.ts';
import type { Sample } from '../../src/results/sample.ts';
import { compareRuns } from '../../src/stats/compare.ts';
import { summarize } from '../../src/stats/summary.ts';
import { syntheticMeta, syntheticSamples } from '../support/synthetic.ts';

const MODES = ['legacy', 'estargz-noopt', 'estargz', 'zstdchunked'];

function resultsDir(samples: object[], meta?: object): string {
  const dir = mkdtempSync(join(tmpdir(), 'hb-report-'));
  writeFileSync(join(dir, 'samples.jsonl'), samples.map((s) => `${JSON.stringify(s)}\n`).join(''));
  if (meta) writeFileSync(join(dir, 'run.json'), JSON.stringify(meta));
  return dir;
}

test('summary figures equal a direct recomputation; the median lies in its interval', () => {
  const samples = syntheticSamples({ workloads: ['a'], modes: ['legacy', 'estargz'], rounds: 9 });
  const s = summarize(samples, { percentile: 95, seed: 3 });
  const legacy = s.cells.find((c) => c.mode === 'legacy')!;
  const totals = samples.filter((x) => x.mode === 'legacy').map((x) => x.total!);
  assert.equal(legacy.stats.total!.n, 9);
  assert.ok(Math.abs(legacy.stats.total!.median - median(totals)) < 1e-12);
  assert.ok(Math.abs(legacy.stats.total!.mean - mean(totals)) < 1e-12);
  assert.ok(Math.abs(legacy.stats.total!.stddev - sampleStandardDeviation(totals)) < 1e-12);
  const [lo, hi] = legacy.stats.total!.ci;
  assert.ok(lo <= legacy.stats.total!.median && legacy.stats.total!.median <= hi);
  const sp = s.speedups.find((x) => x.mode === 'estargz')!;
  assert.ok(sp.factor > 4 && sp.ci[0] <= sp.factor && sp.factor <= sp.ci[1]);
  assert.deepEqual(summarize(samples, { percentile: 95, seed: 3 }), s, 'deterministic for a seed');
});

test('compare: a run against itself shows no change; a slowed mode is a regression', () => {
  const base = syntheticSamples({ workloads: ['a', 'b'], modes: MODES, rounds: 5, seed: 1 });
  const same = compareRuns(base, base);
  assert.ok(same.every((c) => c.verdict === 'no change'), JSON.stringify(same.filter((c) => c.verdict !== 'no change')));
  const other = syntheticSamples({ workloads: ['a', 'b'], modes: MODES, rounds: 5, seed: 2 });
  assert.ok(compareRuns(base, other).every((c) => c.verdict === 'no change'), 'noise alone is no change');
  const slow = syntheticSamples({ workloads: ['a', 'b'], modes: MODES, rounds: 5, seed: 2, slow: { mode: 'estargz', factor: 1.5 } });
  const changes = compareRuns(base, slow);
  for (const c of changes) assert.equal(c.verdict, c.mode === 'estargz' ? 'regression' : 'no change', `${c.workload}/${c.mode}`);
  assert.ok(compareRuns(slow, base).filter((c) => c.mode === 'estargz').every((c) => c.verdict === 'improvement'));
});

test('a report from a run with failures and a mode without ok samples never shows zero seconds', async () => {
  const samples = syntheticSamples({ workloads: ['py', 'db'], modes: MODES, rounds: 3, status: { 'db/zstdchunked': 'timeout', 'py/estargz': 'failed' } });
  samples[1] = { ...samples[1]!, status: 'invalid', reason: 'pull: no layer was mounted lazily' };
  delete samples[1]!.total;
  samples[4] = { ...samples[4]!, disturbed: 'CPU pressure 80% > 35%' }; // db legacy, round 1
  const dir = resultsDir(samples, { ...syntheticMeta(['py', 'db'], MODES, { seed: 5, samples: 3, workloads: 'w.yaml' }), link: { profile: 'wan', registry: '' } });
  writeFileSync(join(dir, 'samples.jsonl'), '{"schema":1,"work', { flag: 'a' }); // interrupted mid-line
  const { files, input } = await buildReport(dir, { percentile: 95 });
  for (const f of files) assert.ok(existsSync(join(dir, f)), f);
  assert.equal(input.samples.length, 24);
  assert.match(input.warnings.join(), /incomplete line skipped/);

  const result = parse(readFileSync(join(dir, 'result.csv'), 'utf8'), { columns: true }) as Record<string, string>[];
  assert.equal(result.find((r) => r.image === 'db' && r.operation === 'pull')!.zstdchunked, '');
  assert.equal(result.find((r) => r.image === 'py' && r.operation === 'pull')!.estargz, '');
  const summary = parse(readFileSync(join(dir, 'summary.csv'), 'utf8'), { columns: true }) as Record<string, string>[];
  const none = summary.find((r) => r.image === 'db' && r.mode === 'zstdchunked' && r.phase === 'total')!;
  assert.equal(none.n, '0');
  assert.equal(none.not_ok, '3');
  assert.equal(none.median, '');
  const md = readFileSync(join(dir, 'summary.md'), 'utf8');
  assert.match(md, /\|zstdchunked\|no ok sample\|no ok sample\|no ok sample\|no ok sample\|no ok sample\|-\|-\|-\|0 \/ 3\|stargz\|/);
  assert.match(md, /\|legacy\|[^\n]*\|2 \/ 3 \(\+1 disturbed, set aside\)\|overlayfs\|/);
  assert.match(md, /## Ok samples taken while the machine was disturbed \(1 of 24; set aside\)\n\n[^\n]*\n[^\n]*\n\|db\|legacy\|1\|[\d.]+\|CPU pressure 80% > 35%\|/);
  assert.equal(summary.find((r) => r.image === 'db' && r.mode === 'legacy' && r.phase === 'total')!.set_aside, '1');
  assert.match(md, /## Samples that are not ok \(7 of 24\)/);
  assert.match(md, /scripts\/bench\.sh --workloads w\.yaml --containerd 2 --runtime ctr --link wan --samples 3 --seed 5 --percentile 95 --order shuffled --modes legacy,estargz-noopt,estargz,zstdchunked\n/);
  const html = readFileSync(join(dir, 'report.html'), 'utf8');
  assert.doesNotMatch(html, /<script|https?:\/\/(?!www\.w3\.org)/, 'self-contained: no script, no external URL');
  assert.match(html, /<svg/);
  assert.match(readFileSync(join(dir, 'badge.svg'), 'utf8'), /startup: (estargz|zstdchunked|estargz-noopt) \d+\.\dx faster/);
  const png = readFileSync(join(dir, 'startup.png'));
  assert.equal(png.subarray(1, 4).toString(), 'PNG');
});

test('bad results directories get clear messages', async () => {
  await assert.rejects(buildReport('/nonexistent/results', { percentile: 95 }), (e: Error) => e instanceof ReportError && /no such results directory/.test(e.message));
  await assert.rejects(buildReport(resultsDir([]), { percentile: 95 }), /no complete sample to report on/);
  const broken = resultsDir(syntheticSamples({ workloads: ['a'], modes: ['legacy'], rounds: 1 }), { ...syntheticMeta(['a'], ['legacy']), options: { seed: 'five' } });
  await assert.rejects(buildReport(broken, { percentile: 95 }), (e: Error) => e instanceof UserError && /run\.json: options\.workloads: Required/.test(e.message));
  const newer = resultsDir(syntheticSamples({ workloads: ['a'], modes: ['legacy'], rounds: 1 }), { format: 99, options: {} });
  await assert.rejects(buildReport(newer, { percentile: 95 }), /results format 99 is newer than this hellobench reads \(1\); update hellobench/);
});

test('the images table: each mode against the original, with its conversion time when it was kept', () => {
  const summary = summarize(syntheticSamples({ workloads: ['a'], modes: ['legacy', 'estargz', 'zstdchunked'], rounds: 1 }), { percentile: 95, seed: 1 });
  const img = (mode: string, bytes: number, extra = {}) => ({ workload: 'a', mode, name: `hb/a:${mode}`, layers: 2, compressed_bytes: bytes, action: 'reused' as const, seconds: 0, ...extra });
  const table = imagesTable([img('legacy', 100e6), img('estargz', 103e6, { conversion_s: 41.25, profiled_files: 120, metadata: { what: 'TOC', bytes: 51_500 } }), img('zstdchunked', 95e6)], summary);
  assert.deepEqual(table.rows, [
    ['a', 'legacy', '100.0', '2', '-', '-', '-', '-'],
    ['a', 'estargz', '103.0', '2', '3.0%', '41.3', '120', 'TOC: 51.5 kB (0.05%)'],
    ['a', 'zstdchunked', '95.0', '2', '-5.0%', '-', '-', '-'],
  ]);
});

test('--warm: the second start has its own figures in the summary, the CSVs, summary.json and a table against the cold start', async () => {
  // Cold totals 1.7 s (synthetic); warm starts 0.2-0.4 s, one failed, none in a run without --warm.
  const samples = syntheticSamples({ workloads: ['a'], modes: ['legacy', 'estargz'], rounds: 3 }).map((s, i) => ({
    ...s, warm: i === 0 ? { status: 'failed' as const, reason: 'run: task exited 1', phases: { create: 0.1 }, bytes_fetched: 0, requests: 0 }
      : { status: 'ok' as const, phases: { create: 0.1, run: 0.1 * (1 + (i % 3)) }, total: 0.1 + 0.1 * (1 + (i % 3)), bytes_fetched: s.mode === 'legacy' ? 0 : 1e6, requests: s.mode === 'legacy' ? 0 : 2 },
  }));
  const dir = resultsDir(samples, syntheticMeta(['a'], ['legacy', 'estargz'], { warm: true }));
  const { input } = await buildReport(dir, { percentile: 95 });
  const cell = (m: string) => input.summary.cells.find((c) => c.mode === m)!;
  const okWarm = (m: string) => samples.filter((s) => s.mode === m && s.warm.status === 'ok').map((s) => s.warm.total!);
  for (const m of ['legacy', 'estargz']) {
    assert.equal(cell(m).stats.warm!.n, okWarm(m).length, 'a failed second start is not counted');
    assert.equal(cell(m).stats.warm!.median, median(okWarm(m)));
  }
  const table = buildModel(input).warm!;
  assert.match(table.caption, /1 second start\(s\) not ok/);
  const est = table.rows.find((r) => r[1] === 'estargz')!;
  assert.equal(est[3], median(okWarm('estargz')).toFixed(3));
  assert.equal(est[5], (median(okWarm('estargz')) / cell('estargz').stats.total!.median).toFixed(2));
  assert.equal(est[6], '1.00', 'what the registry served during the second start');
  const summaryCsv = parse(readFileSync(join(dir, 'summary.csv'), 'utf8'), { columns: true }) as Record<string, string>[];
  assert.equal(summaryCsv.filter((r) => r.phase === 'warm').length, 2);
  const samplesCsv = parse(readFileSync(join(dir, 'samples.csv'), 'utf8'), { columns: true }) as Record<string, string>[];
  assert.deepEqual(samplesCsv.map((r) => r.warm_status), samples.map((s) => s.warm.status));
  assert.equal(samplesCsv[0]!.warm_run, '', 'a phase the failed second start did not reach is empty');
  const json = JSON.parse(readFileSync(join(dir, 'summary.json'), 'utf8'));
  assert.equal(json.cells[0].phases.warm.n, cell('legacy').stats.warm!.n);
  assert.equal(json.options.warm, true);
  assert.match(readFileSync(join(dir, 'summary.md'), 'utf8'), /## The second start \(--warm\)/);
  // Without --warm: no such table, metric or column.
  const cold = resultsDir(syntheticSamples({ workloads: ['a'], modes: ['legacy'], rounds: 2 }));
  const plain = await buildReport(cold, { percentile: 95 });
  assert.equal(buildModel(plain.input).warm, undefined);
  assert.ok(!readFileSync(join(cold, 'samples.csv'), 'utf8').includes('warm'));
});

test("the fetched table: each cell's median bytes and requests, their range, and what came after the phases", () => {
  const samples = syntheticSamples({ workloads: ['a'], modes: ['legacy', 'estargz'], rounds: 3 }).map((s, i): Sample => ({
    ...s, requests: { total: s.mode === 'legacy' ? 4 : 9 + (i % 2) },
    bytes_fetched: s.mode === 'legacy' ? { pull: 30e6, total: 30e6 } : { pull: 1e6, run: 4e6 + i * 1e4, total: 6e6 + i * 1e4 },
  }));
  const table = fetchedTable(summarize(samples, { percentile: 95, seed: 1 }), samples);
  const ok = (m: string) => samples.filter((s) => s.mode === m && s.status === 'ok');
  const est = ok('estargz').map((s) => s.bytes_fetched.total);
  assert.deepEqual(table.rows[0], ['a', 'legacy', '30.00', 'all the same', '4', '0.00', String(ok('legacy').length)]);
  assert.deepEqual(table.rows[1]!.slice(0, 3), ['a', 'estargz', (median(est) / 1e6).toFixed(2)]);
  assert.equal(table.rows[1]![3], `${(Math.min(...est) / 1e6).toFixed(2)}-${(Math.max(...est) / 1e6).toFixed(2)}`);
  assert.equal(table.rows[1]![5], '1.00', 'a background fetch after the phases');
  assert.equal(table.header.length, 7, 'no read columns when no system counted reads');
  // A system that counts what the container read: fetched / read per sample, its median.
  const counted = samples.map((s) => (s.mode === 'estargz' ? { ...s, read_bytes: 2e6 } : s));
  const withReads = fetchedTable(summarize(counted, { percentile: 95, seed: 1 }), counted);
  assert.deepEqual(withReads.rows[0]!.slice(6, 8), ['-', '-']);
  assert.deepEqual(withReads.rows[1]!.slice(6, 8), ['2.00', `${(median(est) / 2e6).toFixed(2)}x`]);
});

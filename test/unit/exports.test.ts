import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { buildReport, REPORT_EXPORTERS } from '../../src/report/index.ts';
import { SummaryJsonSchema, type BenchmarkEntry } from '../../src/report/json.ts';
import { syntheticMeta, syntheticSamples } from '../support/synthetic.ts';

function resultsDir(status?: Record<string, 'failed'>): string {
  const dir = mkdtempSync(join(tmpdir(), 'hb-exports-'));
  mkdirSync(dir, { recursive: true });
  const samples = syntheticSamples({ workloads: ['a', 'b'], modes: ['legacy', 'estargz'], rounds: 5, ...(status ? { status } : {}) });
  samples[0]!.disturbed = 'CPU steal 9.0% > 5%';
  writeFileSync(join(dir, 'samples.jsonl'), samples.map((s) => `${JSON.stringify(s)}\n`).join(''));
  writeFileSync(join(dir, 'run.json'), JSON.stringify(syntheticMeta(['a', 'b'], ['legacy', 'estargz'])));
  return dir;
}

test('every report file comes from the one exporter list, each written once', async () => {
  const dir = resultsDir();
  const { files } = await buildReport(dir, { percentile: 95 });
  // The daemons' and the load's charts only for runs that recorded them (these synthetic samples did not).
  assert.deepEqual(files, REPORT_EXPORTERS.map((e) => e.file).filter((f) => !f.startsWith('daemons.') && !f.startsWith('after-ready.')));
  assert.equal(new Set(files).size, files.length, 'one file per exporter');
  const written = readdirSync(dir).filter((f) => f !== 'samples.jsonl' && f !== 'run.json').sort();
  assert.deepEqual(written, [...files].sort(), 'no stray or temporary file');
});

test('summary.json validates against its schema and carries summary.csv\'s figures, the link, versions and outcome', async () => {
  const dir = resultsDir({ 'b/estargz': 'failed' });
  await buildReport(dir, { percentile: 95 });
  const json = SummaryJsonSchema.parse(JSON.parse(readFileSync(join(dir, 'summary.json'), 'utf8')));
  assert.equal(json.version, 1);
  assert.equal(json.outcome, 'complete');
  assert.deepEqual(json.link, { profile: 'wan', bandwidth_bps: 100e6, rtt_ms: 20, measured: null });
  assert.equal(json.versions.hellobench, '0.1.0');
  assert.deepEqual(json.runners, [{ runner: 'runner-1', workloads: ['a', 'b'] }]);
  assert.deepEqual(json.samples, { total: 20, ok: 15, set_aside: 1 });
  const csv = readFileSync(join(dir, 'summary.csv'), 'utf8').split('\n').slice(1).filter(Boolean).map((l) => l.split(','));
  const header = readFileSync(join(dir, 'summary.csv'), 'utf8').split('\n')[0]!.split(',');
  const col = (row: string[], name: string) => row[header.indexOf(name)]!;
  for (const row of csv) {
    const cell = json.cells.find((c) => c.workload === col(row, 'image') && c.mode === col(row, 'mode'))!;
    const stat = cell.phases[col(row, 'phase') as 'total'];
    if (col(row, 'median') === '') assert.equal(stat, undefined, 'no ok sample: absent, not zero');
    else assert.ok(Math.abs(stat!.median - Number(col(row, 'median'))) < 1e-3, `${row.join(',')}`);
  }
  assert.equal(json.cells.find((c) => c.workload === 'b' && c.mode === 'estargz')!.phases.total, undefined);
  assert.equal(json.speedups.length, 1, 'a speed-up only where the lazy mode has ok samples');
  // A malformed summary fails the schema.
  assert.equal(SummaryJsonSchema.safeParse({ ...json, version: 2 }).success, false);
});

test('benchmark.json is github-action-benchmark\'s customSmallerIsBetter: name, unit, value, range, extra', async () => {
  const dir = resultsDir();
  await buildReport(dir, { percentile: 95 });
  const entries = JSON.parse(readFileSync(join(dir, 'benchmark.json'), 'utf8')) as BenchmarkEntry[];
  assert.equal(entries.length, 4);
  const summary = SummaryJsonSchema.parse(JSON.parse(readFileSync(join(dir, 'summary.json'), 'utf8')));
  for (const e of entries) {
    assert.deepEqual(Object.keys(e).sort(), ['extra', 'name', 'range', 'unit', 'value']);
    assert.equal(e.unit, 's');
    assert.equal(typeof e.value, 'number');
    const [w, m] = e.name.split(' ');
    assert.ok(Math.abs(e.value - summary.cells.find((c) => c.workload === w && c.mode === m)!.phases.total!.median) < 1e-3);
    assert.match(e.range!, /^± \d/);
    assert.match(e.extra!, /^n=\d+/);
  }
  assert.equal(new Set(entries.map((e) => e.name)).size, entries.length, 'names are unique: the action keys its series on them');
});

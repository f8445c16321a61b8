// The scheduled benchmark's steps on the smoke catalogue: shards measured by the real lab,
// merged, published with a history, as .github/workflows/benchmark.yml runs them.
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { before, test } from 'node:test';
import { parse } from 'csv-parse/sync';
import { execa } from 'execa';
import { SummaryJsonSchema } from '../../src/report/json.ts';
import { readMeta } from '../../src/results/metadata.ts';
import { cli, leftovers, readSamples, ROOT } from './helpers.ts';

const tmp = mkdtempSync(join(tmpdir(), 'hellobench-shards-'));
// Disturbed samples kept: no re-takes, so every run takes each planned sample exactly once.
const PLAN = ['--workloads', 'workloads/smoke.yaml', '--only', 'hello,checksum,server', '--modes', 'legacy,estargz', '--samples', '2', '--seed', '11', '--link', 'loopback', '--keep-disturbed'];
const rows = (dir: string) => (parse(readFileSync(join(dir, 'summary.csv'), 'utf8'), { columns: true }) as Record<string, string>[])
  .map((r) => `${r.image} ${r.mode} ${r.phase} n=${r.n} not_ok=${r.not_ok}`).sort();

before(() => assert.deepEqual(leftovers(), [], 'a previous run left lab state behind'));

test('--shard 1/2 and 2/2 take every sample once; merge gives the tables of one run; publish builds the pages and the job summary', async () => {
  const shards = [1, 2].map((i) => join(tmp, `shard-${i}`));
  // The workflow's steps: the cache key of the prepared images, then each shard through the README's command.
  const key = await cli(['image-key', ...PLAN.slice(0, 6)]);
  assert.equal(key.exitCode, 0, key.all);
  assert.match(key.stdout, /^[0-9a-f]{20}$/);
  for (const [i, dir] of shards.entries()) {
    const r = await execa(join(ROOT, 'scripts/bench.sh'), [...PLAN, '--shard', `${i + 1}/2`, '--out', dir], { reject: false, all: true, cwd: ROOT });
    assert.equal(r.exitCode, 0, r.all);
  }
  const whole = join(tmp, 'whole');
  const r = await cli(['run', ...PLAN, '--out', whole]);
  assert.equal(r.exitCode, 0, r.all);

  // Every planned (image, mode, round) exactly once over the shards, each image on one shard only.
  const taken = shards.flatMap((d) => readSamples(d).map((s) => `${s.workload} ${s.mode} ${s.round}`)).sort();
  const planned = readSamples(whole).map((s) => `${s.workload} ${s.mode} ${s.round}`).sort();
  assert.equal(planned.length, 12);
  assert.deepEqual(taken, planned);
  const [a, b] = shards.map((d) => new Set(readSamples(d).map((s) => s.workload)));
  assert.deepEqual([...a!].sort(), ['hello', 'server']);
  assert.deepEqual([...b!], ['checksum']);

  // The workflow's publish step: merge, history, pages, job summary.
  const pages = join(tmp, 'pages');
  const summaryFile = join(tmp, 'step-summary.md');
  const pub = await execa(join(ROOT, 'scripts/publish.sh'), [pages, ...shards], { reject: false, all: true, env: { GITHUB_STEP_SUMMARY: summaryFile, GITHUB_ACTIONS: 'true' } });
  assert.equal(pub.exitCode, 0, pub.all);
  const [run] = readdirSync(join(pages, 'runs'));
  const merged = join(pages, 'runs', run!);
  assert.deepEqual(rows(merged), rows(whole), 'the merged tables have the rows and counts of one unsharded run');
  const meta = readMeta(join(merged, 'run.json'));
  assert.equal(meta.outcome, 'complete');
  assert.deepEqual(meta.shards!.map((s) => s.workloads), [['hello', 'server'], ['checksum']]);
  SummaryJsonSchema.parse(JSON.parse(readFileSync(join(merged, 'summary.json'), 'utf8')));
  for (const f of ['index.html', 'badge.svg', 'startup.svg', 'history/history.html', 'history/trend.svg', 'history/history.json']) assert.ok(existsSync(join(pages, f)), f);
  assert.match(readFileSync(join(merged, 'summary.md'), 'utf8'), /\|shard 1\/2\|hello, server: measured by /);
  const summary = readFileSync(summaryFile, 'utf8');
  assert.match(summary, /# hellobench/);
  assert.match(summary, /shard 2\/2\|checksum: measured by/);
  assert.deepEqual(leftovers(), []);
});

import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { historyCommand } from '../../src/commands/history.ts';
import { UsageError } from '../../src/commands/errors.ts';
import type { History } from '../../src/history/build.ts';
import type { Sample } from '../../src/results/sample.ts';
import { syntheticSamples } from '../support/synthetic.ts';
import { resultSetMeta, writeResultSet } from '../support/result-sets.ts';

// The in-process runs below must not print annotations into the test runner's output.
delete process.env.GITHUB_ACTIONS;

const WORKLOADS = ['python', 'postgres'];
const MODES = ['legacy', 'estargz', 'zstdchunked'];
const root = mkdtempSync(join(tmpdir(), 'hb-history-'));
after(() => rmSync(root, { recursive: true, force: true }));

/** Run i (1-based) of a daily history; `slower` multiplies one image x mode's times. */
function resultSet(i: number, o: { link?: string; slower?: { workload: string; mode: string; factor: number } } = {}): string {
  const samples = syntheticSamples({ workloads: WORKLOADS, modes: MODES, rounds: 8, seed: i }).map((x): Sample => ({ ...x, round_trips: 4 })).map((s): Sample => {
    if (s.workload !== o.slower?.workload || s.mode !== o.slower.mode) return s;
    const k = o.slower.factor;
    return { ...s, phases: { pull: s.phases.pull! * k, create: s.phases.create! * k, run: s.phases.run! * k }, total: s.total! * k };
  });
  const meta = resultSetMeta(samples, { run_id: `run-${i}`, started_at: new Date(Date.UTC(2026, 11, i, 3)).toISOString(), seed: i, ...(o.link ? { link: o.link } : {}) });
  return writeResultSet(join(root, `run-${i}${o.link ? `-${o.link}` : ''}`), samples, meta);
}

const first = resultSet(1);
const second = resultSet(2);
const third = resultSet(3, { slower: { workload: 'python', mode: 'estargz', factor: 1.3 } });
const readHistory = (out: string) => JSON.parse(readFileSync(join(out, 'history.json'), 'utf8')) as History;

test('three runs in order; the third one\'s slower image x mode is its only regression', async () => {
  const out = join(root, 'out-three');
  assert.equal(await historyCommand([third, first, second], { out }), 0);
  const h = readHistory(out);
  assert.equal(h.format, 1);
  assert.deepEqual(h.runs.map((r) => r.run_id), ['run-1', 'run-2', 'run-3']);
  assert.deepEqual(h.runs.map((r) => r.dir), [first, second, third]);
  assert.equal(h.runs[0]!.compared_with, undefined);
  assert.equal(h.runs[0]!.changes.length, 0);
  assert.equal(h.runs[2]!.compared_with, 'run-2');
  for (const c of h.runs[2]!.changes) assert.equal(c.verdict, c.workload === 'python' && c.mode === 'estargz' ? 'regression' : 'no change', `${c.workload}/${c.mode}`);
  const cell = h.runs[2]!.cells.find((c) => c.workload === 'python' && c.mode === 'estargz')!;
  assert.ok(cell.n === 8 && cell.ci![0] <= cell.median! && cell.median! <= cell.ci![1]);
  assert.equal(h.runs[2]!.speedups.length, WORKLOADS.length * (MODES.length - 1));
  assert.equal(h.runs[2]!.commit, '0123456789ab');

  for (const f of ['history.json', 'history.md', 'history.html', 'trend.svg', 'trend.png', 'speedups.svg']) assert.ok(existsSync(join(out, f)), f);
  const trend = readFileSync(join(out, 'trend.svg'), 'utf8');
  for (const w of WORKLOADS) assert.match(trend, new RegExp(`>${w}<`), w);
  assert.equal(readFileSync(join(out, 'trend.png')).subarray(1, 4).toString(), 'PNG');
  const md = readFileSync(join(out, 'history.md'), 'utf8');
  assert.match(md, /Latest run run-3 against run-2 \(wan [^:]*\): 1 regression\(s\), 0 improvement\(s\)/);
  assert.match(md, /\|python\|estargz\|[\d.]+\|[\d.]+\|\+\d+\.\d%\|[^|]+\|regression\|/);
  assert.ok(md.indexOf('regression|') < md.indexOf('## Runs'), 'regressions come before the runs');
  // Its distance from the floor grew with it; the others' stayed.
  const floor = h.runs[2]!.floors!.find((f) => f.workload === 'python' && f.mode === 'estargz')!;
  const before = h.runs[1]!.floors!.find((f) => f.workload === 'python' && f.mode === 'estargz')!;
  assert.ok(floor.ratio / before.ratio > 1.2, `${before.ratio} -> ${floor.ratio}`);
  assert.match(md, /## Measured \/ floor in run-3 and run-2/);
  const html = readFileSync(join(out, 'history.html'), 'utf8');
  assert.doesNotMatch(html, /<script|https?:\/\/(?!www\.w3\.org)/, 'self-contained: no script, no external URL');
  assert.match(html, /<tr class="regressed"><td>python<\/td><td>estargz<\/td>/);
});

test('in GitHub Actions the latest run\'s regressions are annotations; --fail-on-regression exits 1', () => {
  const out = join(root, 'out-gh');
  const command = fileURLToPath(new URL('../../src/commands/history.ts', import.meta.url));
  const script = `const { historyCommand } = await import(${JSON.stringify(command)}); process.exitCode = await historyCommand(${JSON.stringify([first, second, third])}, { out: ${JSON.stringify(out)}, failOnRegression: true });`;
  const child = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { env: { ...process.env, GITHUB_ACTIONS: 'true' }, encoding: 'utf8' });
  assert.equal(child.status, 1, child.stderr);
  const lines = child.stdout.trim().split('\n');
  assert.equal(lines.length, 1, child.stdout);
  assert.match(lines[0]!, /^::warning title=hellobench regression::python estargz \+\d+\.\d% \(CI \+\d+\.\d%\.\.\+\d+\.\d%\) in run-3 vs run-2$/);
});

test('runs compare only over the same link; result sets without samples or a complete run.json, or named twice, are skipped with a warning', async () => {
  const lan = resultSet(4, { link: 'lan' });
  const noSamples = join(root, 'no-samples');
  mkdirSync(noSamples);
  writeFileSync(join(noSamples, 'run.json'), readFileSync(join(first, 'run.json')));
  const noMeta = writeResultSet(join(root, 'no-meta'), syntheticSamples({ workloads: WORKLOADS, modes: MODES, rounds: 1 }), null);
  const partial = join(root, 'partial');
  writeResultSet(partial, syntheticSamples({ workloads: WORKLOADS, modes: MODES, rounds: 1 }), null);
  writeFileSync(join(partial, 'run.json'), JSON.stringify({ format: 1, run_id: 'partial', started_at: '2026-12-05T00:00:00Z' }));
  const late = resultSet(5);
  const out = join(root, 'out-links');
  const again = join(root, 'latest');
  symlinkSync(first, again);
  assert.equal(await historyCommand([first, lan, noSamples, noMeta, partial, late, again], { out }), 0);
  const h = readHistory(out);
  assert.deepEqual(h.runs.map((r) => [r.run_id, r.compared_with]), [['run-1', undefined], ['run-4', undefined], ['run-5', 'run-1']]);
  assert.match(h.runs[1]!.link, /^lan /);
  assert.equal(h.warnings.length, 4, h.warnings.join('\n'));
  assert.match(h.warnings.join('\n'), new RegExp(`${noSamples}: no samples\\.jsonl`));
  assert.match(h.warnings.join('\n'), new RegExp(`${noMeta}/run\\.json: missing`));
  assert.match(h.warnings.join('\n'), new RegExp(`${partial}/run\\.json: [^\\n]*; ${partial} skipped`));
  assert.match(h.warnings.join('\n'), new RegExp(`${again}: the same result set as ${first}; skipped`));
});

test('paths that are not results directories are clear errors', async () => {
  const file = join(root, 'a-file');
  writeFileSync(file, '');
  const other = join(root, 'empty');
  mkdirSync(other);
  const out = join(root, 'out-bad');
  const usage = (re: RegExp) => (e: Error) => e instanceof UsageError && re.test(e.message);
  await assert.rejects(historyCommand([first, file], { out }), usage(new RegExp(`^${file}: not a directory`)));
  await assert.rejects(historyCommand([join(root, 'nowhere')], { out }), usage(/nowhere: no such results directory/));
  await assert.rejects(historyCommand([other], { out }), usage(/not a hellobench results directory/));
  await assert.rejects(historyCommand([root], { out }), usage(/it holds some: give them/));
  await assert.rejects(historyCommand([first], { out, minChange: 'x' }), usage(/--min-change/));
});

import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { shardOf } from '../../src/commands/shard.ts';
import { mergeCommand } from '../../src/commands/merge.ts';
import { UsageError } from '../../src/commands/errors.ts';
import { buildReport } from '../../src/report/index.ts';
import { readMeta, type RunMeta } from '../../src/results/metadata.ts';
import { readSweep, type SweepMeta } from '../../src/report/sweep.ts';
import { syntheticMeta, syntheticSamples } from '../support/synthetic.ts';

const tmp = mkdtempSync(join(tmpdir(), 'hb-merge-'));
const IMAGES = ['a', 'b', 'c'];
const MODES = ['legacy', 'estargz', 'nydus'];
const all = syntheticSamples({ workloads: IMAGES, modes: MODES, rounds: 4 });

function write(name: string, samples: object[], meta: RunMeta): string {
  const dir = join(tmp, name);
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'samples.jsonl'), samples.map((s) => `${JSON.stringify(s)}\n`).join(''));
  writeFileSync(join(dir, 'run.json'), JSON.stringify(meta));
  return dir;
}

/** The samples of one unsharded run, split as `--shard i/n` would have measured them. */
function shard(i: number, n: number, name = `shard-${i}`, options = {}): string {
  const mine = shardOf(IMAGES, i, n);
  return write(name, all.filter((s) => mine.includes(s.workload)),
    syntheticMeta(mine, MODES, { shard: { index: i, count: n, of: IMAGES }, ...options }, `runner-${i}`));
}

test('merge of every shard gives the tables of one unsharded run, and says which runner measured which image', async () => {
  const whole = write('whole', all, syntheticMeta(IMAGES, MODES));
  await buildReport(whole, { percentile: 95 });
  const out = join(tmp, 'merged');
  assert.equal(await mergeCommand([shard(2, 2), shard(1, 2)], { out }), 0);
  for (const f of ['summary.csv', 'result.csv']) assert.equal(readFileSync(join(out, f), 'utf8'), readFileSync(join(whole, f), 'utf8'), f);
  const meta = readMeta(join(out, 'run.json'));
  assert.deepEqual(meta.options.workload_names, IMAGES);
  assert.equal(meta.options.shard, undefined);
  assert.deepEqual(meta.shards!.map((s) => [s.index, s.runner, s.workloads]), [[1, 'runner-1', ['a', 'c']], [2, 'runner-2', ['b']]]);
  const md = readFileSync(join(out, 'summary.md'), 'utf8');
  assert.match(md, /\|shard 1\/2\|a, c: measured by runner-1 /);
  assert.match(md, /\|shard 2\/2\|b: measured by runner-2 /);
});

test('merge refuses shards of different plans, a missing or doubled shard, and a run that was not sharded', async () => {
  const err = async (dirs: string[], re: RegExp) => assert.rejects(mergeCommand(dirs, { out: join(tmp, 'never') }), (e: Error) => e instanceof UsageError && re.test(e.message), re.source);
  await err([shard(1, 2, 's1'), shard(2, 2, 's2-seed', { seed: 7 })], /s2-seed and .*s1 are shards of different plans: they differ in seed \(1 vs 7\)/);
  await err([shard(1, 2, 's1'), shard(2, 2, 's2-link', { link: 'lan' })], /differ in link \("wan" vs "lan"\)/);
  await err([shard(1, 3, 't1'), shard(3, 3, 't3')], /shard 2\/3 missing/);
  await err([shard(1, 2, 's1'), shard(1, 2, 's1-again')], /are both shard 1\/2/);
  await err([shard(1, 2, 's1'), join(tmp, 'whole')], /whole: not a shard/);
  await err([shard(1, 2, 's1'), join(tmp, 'nothing-here')], /nothing-here: no run.json/);
  await assert.rejects(mergeCommand([shard(1, 1, 'only')], { out: join(tmp, 'only') }), /is one of the shards/);
});

/** Shard i/n of a sweep over `links`: sweep.json and, per link, the run `run --shard i/n` would have written. */
function sweepShard(i: number, n: number, name: string, links: string[], { seconds = 60, seed = '1' } = {}): string {
  const dir = join(tmp, name);
  for (const link of links) shard(i, n, join(name, link));
  const grid = ['100mbit-2ms', '100mbit-80ms'].map((l) => ({ name: l, bandwidth_arg: '100mbit', rtt_arg: l.split('-')[1]!, bandwidth: 100e6, rtt_ms: Number.parseInt(l.split('-')[1]!, 10) }));
  const meta: SweepMeta = {
    format: 1, started_at: `2026-01-01T00:0${i}:00.000Z`, finished_at: `2026-01-01T01:0${i}:00.000Z`, command: ['sweep'],
    options: { seed, samples: '4', shard: `${i}/${n}`, bandwidth: '100mbit', rtt: '2ms,80ms' }, grid,
    blocks: Object.fromEntries(links.map((l) => [l, { exit_code: 0, seconds: seconds * i }])),
  };
  writeFileSync(join(dir, 'sweep.json'), JSON.stringify(meta));
  return dir;
}

test("merge of a sweep's shards: each link merged as a run's shards are, the slowest shard's seconds per link, one sweep report", async () => {
  const out = join(tmp, 'sweep-merged');
  assert.equal(await mergeCommand([sweepShard(2, 2, 'sw2', ['100mbit-2ms', '100mbit-80ms']), sweepShard(1, 2, 'sw1', ['100mbit-2ms', '100mbit-80ms'])], { out }), 0);
  const meta = readSweep(out);
  assert.equal(meta.options.shard, undefined);
  assert.deepEqual(meta.shards!.map((s) => [s.index, s.seconds]), [[1, 120], [2, 240]]);
  assert.deepEqual(meta.blocks['100mbit-80ms'], { exit_code: 0, seconds: 120 });
  for (const link of ['100mbit-2ms', '100mbit-80ms']) {
    assert.deepEqual(readMeta(join(out, link, 'run.json')).options.workload_names, IMAGES, link);
    assert.equal(readFileSync(join(out, link, 'summary.csv'), 'utf8'), readFileSync(join(tmp, 'whole', 'summary.csv'), 'utf8'), `${link}: the tables of one unsharded run`);
  }
  const md = readFileSync(join(out, 'sweep.md'), 'utf8');
  assert.match(md, /on 2 shards side by side \(1\/2: 2\.0 min, 2\/2: 4\.0 min\)/);
  assert.ok(readFileSync(join(out, 'sweep.csv'), 'utf8').split('\n').some((l) => l.startsWith('100mbit-80ms,')), 'the link is a column of the CSV');
});

test("merge of a sweep's shards: a link one shard did not reach is left out (exit 1); other sweeps, runs and missing shards refused", async () => {
  const out = join(tmp, 'sweep-part');
  assert.equal(await mergeCommand([sweepShard(1, 2, 'p1', ['100mbit-2ms', '100mbit-80ms']), sweepShard(2, 2, 'p2', ['100mbit-2ms'])], { out }), 1);
  assert.deepEqual(Object.keys(readSweep(out).blocks), ['100mbit-2ms']);
  assert.match(readFileSync(join(out, 'sweep.md'), 'utf8'), /Not measured yet: 100mbit-80ms/);
  const err = async (dirs: string[], re: RegExp) => assert.rejects(mergeCommand(dirs, { out: join(tmp, 'never') }), (e: Error) => e instanceof UsageError && re.test(e.message), re.source);
  await err([join(tmp, 'p1'), sweepShard(2, 2, 'q2', ['100mbit-2ms'], { seed: '9' })], /q2 and .*p1 are shards of different sweeps: they differ in seed \("9" vs "1"\)/);
  await err([join(tmp, 'p1'), shard(2, 2, 'plain-2')], /plain-2: not a sweep's shard, while .*p1 is/);
  await err([join(tmp, 'p1')], /shard 2\/2 of the sweep missing/);
  await err([join(tmp, 'p1'), join(tmp, 'p1')], /both shard 1\/2/);
});

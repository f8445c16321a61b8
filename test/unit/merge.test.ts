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

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ORDERS, plan, rounds } from '../../src/bench/plan.ts';
import { prng, shuffle } from '../../src/util/random.ts';
import { modeByName, parseModes } from '../../src/systems/index.ts';
import type { StargzOptions } from '../../src/systems/stargz.ts';

test('the same seed gives the same order; another seed another', () => {
  const a = plan(['a', 'b', 'c'], ['x', 'y'], 3, 42).map((p) => `${p.workload}${p.mode}`);
  const b = plan(['a', 'b', 'c'], ['x', 'y'], 3, 42).map((p) => `${p.workload}${p.mode}`);
  const c = plan(['a', 'b', 'c'], ['x', 'y'], 3, 43).map((p) => `${p.workload}${p.mode}`);
  assert.deepEqual(a, b);
  assert.notDeepEqual(a, c);
});

for (const order of ORDERS) {
  test(`${order}: every round holds every (workload, mode) pair exactly once, in a new order per round`, () => {
    const p = plan(['a', 'b', 'c', 'd'], ['x', 'y', 'z'], 5, 7, order);
    assert.equal(p.length, 60);
    const rounds = [0, 1, 2, 3, 4].map((r) => p.filter((s) => s.round === r).map((s) => `${s.workload}${s.mode}`));
    for (const r of rounds) assert.equal(new Set(r).size, 12);
    assert.ok(new Set(rounds.map((r) => r.join())).size > 1, 'rounds should not all share one order');
    assert.deepEqual(p.map((s) => s.round), [0, 1, 2, 3, 4].flatMap((r) => Array(12).fill(r)));
  });
}

test('blocked: an image\'s modes come back to back, their order shuffled per block', () => {
  const p = plan(['a', 'b', 'c', 'd'], ['x', 'y', 'z'], 6, 11, 'blocked');
  for (let i = 0; i < p.length; i += 3) assert.equal(new Set(p.slice(i, i + 3).map((s) => s.workload)).size, 1);
  assert.ok(new Set(p.filter((_, i) => i % 3 === 0).map((s) => s.mode)).size > 1, 'every block starts with the same mode');
  const shuffled = plan(['a', 'b', 'c', 'd'], ['x', 'y', 'z'], 6, 11, 'shuffled');
  assert.ok(shuffled.some((s, i) => i % 3 !== 2 && shuffled[i + 1]!.workload !== s.workload && i + 1 < shuffled.length), 'shuffled should mix images');
});

test('rounds keep coming: the generator draws the same rounds plan() lists', () => {
  const gen = rounds(['a', 'b'], ['x', 'y'], 5, 'blocked');
  const drawn = [gen.next().value!, gen.next().value!, gen.next().value!].flat();
  assert.deepEqual(drawn, plan(['a', 'b'], ['x', 'y'], 3, 5, 'blocked'));
});

test('shuffle is a permutation and roughly uniform', () => {
  const rand = prng(1);
  const firsts = new Map<number, number>();
  for (let i = 0; i < 4000; i++) {
    const s = shuffle([0, 1, 2, 3], rand);
    assert.deepEqual([...s].sort(), [0, 1, 2, 3]);
    firsts.set(s[0]!, (firsts.get(s[0]!) ?? 0) + 1);
  }
  for (const n of firsts.values()) assert.ok(n > 850 && n < 1150, `first-position count ${n} far from 1000`);
});

test('modes: unknown names fail with the list; order is canonical', () => {
  assert.throws(() => modeByName('estargz-fast'), /unknown mode "estargz-fast": choose from legacy, estargz-noopt, estargz, zstdchunked/);
  assert.deepEqual(parseModes('estargz,legacy').map((m) => m.name), ['legacy', 'estargz']);
  assert.equal((modeByName('estargz-noopt').options as StargzOptions).prefetch, false);
  assert.equal((modeByName('estargz').options as StargzOptions).prefetch, true);
  assert.equal(modeByName('estargz').system.name, 'stargz');
});

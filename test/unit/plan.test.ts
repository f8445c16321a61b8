import assert from 'node:assert/strict';
import { test } from 'node:test';
import { plan, prng, shuffle } from '../../src/bench/plan.ts';
import { modeByName, parseModes } from '../../src/systems/index.ts';
import type { StargzOptions } from '../../src/systems/stargz.ts';

test('the same seed gives the same order; another seed another', () => {
  const a = plan(['a', 'b', 'c'], ['x', 'y'], 3, 42).map((p) => `${p.workload}${p.mode}`);
  const b = plan(['a', 'b', 'c'], ['x', 'y'], 3, 42).map((p) => `${p.workload}${p.mode}`);
  const c = plan(['a', 'b', 'c'], ['x', 'y'], 3, 43).map((p) => `${p.workload}${p.mode}`);
  assert.deepEqual(a, b);
  assert.notDeepEqual(a, c);
});

test('every round holds every (workload, mode) pair exactly once, shuffled per round', () => {
  const p = plan(['a', 'b', 'c', 'd'], ['x', 'y', 'z'], 5, 7);
  assert.equal(p.length, 60);
  const rounds = [0, 1, 2, 3, 4].map((r) => p.filter((s) => s.round === r).map((s) => `${s.workload}${s.mode}`));
  for (const r of rounds) assert.equal(new Set(r).size, 12);
  assert.ok(new Set(rounds.map((r) => r.join())).size > 1, 'rounds should not all share one order');
  assert.deepEqual(p.map((s) => s.index), [...Array(60).keys()]);
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

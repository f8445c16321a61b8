import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parse } from 'csv-parse/sync';
import { max, median, min } from 'simple-statistics';
import { prng } from '../../src/util/random.ts';
import { samplesCsv } from '../../src/report/csv.ts';
import { percentile, percentileSorted } from '../../src/util/percentile.ts';
import { middleLaw, ResampledMedian, type MiddleLaw } from '../../src/stats/resample.ts';
import { bootstrapMedianCI, summarize } from '../../src/stats/summary.ts';
import { syntheticSamples } from '../support/synthetic.ts';

/** The median of a resample drawn and sorted: what ResampledMedian stands for. */
function naiveResampledMedian(sorted: Float64Array, rand: () => number): number {
  const n = sorted.length;
  const draw = Float64Array.from({ length: n }, () => sorted[Math.floor(rand() * n)]!).sort();
  return (draw[(n - 1) >> 1]! + draw[n >> 1]!) / 2;
}

/** Largest gap between the empirical distribution functions of two samples (Kolmogorov-Smirnov). */
function ksDistance(a: Float64Array, b: Float64Array): number {
  a.sort();
  b.sort();
  let i = 0;
  let j = 0;
  let d = 0;
  while (i < a.length && j < b.length) {
    const x = Math.min(a[i]!, b[j]!);
    while (i < a.length && a[i] === x) i++;
    while (j < b.length && b[j] === x) j++;
    d = Math.max(d, Math.abs(i / a.length - j / b.length));
  }
  return d;
}

/** Probability of each (lower, upper) pair of middle picks, from a law or from counting all n^n resamples of n. */
function pairsOf(law: MiddleLaw): Map<string, number> {
  const out = new Map<string, number>();
  law.cdf.forEach((c, at) => {
    const key = `${law.lower[at]},${law.upper[at]}`;
    out.set(key, (out.get(key) ?? 0) + c - (at ? law.cdf[at - 1]! : 0));
  });
  return out;
}

function countedPairs(n: number): Map<string, number> {
  const out = new Map<string, number>();
  const picks = new Int32Array(n);
  for (let r = 0; r < n ** n; r++) {
    for (let i = 0, x = r; i < n; i++, x = Math.floor(x / n)) picks[i] = x % n;
    picks.sort();
    const key = `${picks[(n - 1) >> 1]},${picks[n >> 1]}`;
    out.set(key, (out.get(key) ?? 0) + 1 / n ** n);
  }
  return out;
}

test('the law of a resample\'s middle picks equals counting every resample', () => {
  for (let n = 1; n <= 7; n++) {
    const law = pairsOf(middleLaw(n));
    const counted = countedPairs(n);
    for (const key of new Set([...law.keys(), ...counted.keys()])) {
      assert.ok(Math.abs((law.get(key) ?? 0) - (counted.get(key) ?? 0)) < 1e-12, `n=${n}, picks ${key}: ${law.get(key)} against ${counted.get(key)}`);
    }
  }
});

test('the law of a large group is a distribution centred on its middle, of spread sqrt(n)/2', () => {
  for (const n of [1000, 1001, 100_000, 100_001]) {
    const { cdf, lower } = middleLaw(n);
    assert.ok(cdf.every((c, i) => c > 0 && (i === 0 || c >= cdf[i - 1]!)), `n=${n}: not cumulative`);
    assert.equal(cdf[cdf.length - 1], 1);
    for (const [q, z] of [[0.025, -1.96], [0.5, 0], [0.975, 1.96]] as const) {
      const pick = lower[cdf.findIndex((c) => c > q)]!;
      const expected = n / 2 + (z * Math.sqrt(n)) / 2;
      assert.ok(Math.abs(pick - expected) <= 0.1 * Math.sqrt(n) + 1, `n=${n}: quantile ${q} at ${pick}, not ${expected}`);
    }
  }
});

test('a resample\'s median drawn from the law has the distribution of one drawn and sorted', () => {
  const draws = 100_000;
  for (const n of [1, 2, 3, 6, 7, 100, 101]) {
    const sorted = Float64Array.from({ length: n }, (_, i) => i * i);
    const fast = prng(n);
    const naive = prng(n + 1000);
    const resampled = new ResampledMedian(sorted);
    const a = Float64Array.from({ length: draws }, () => resampled.draw(fast));
    const b = Float64Array.from({ length: draws }, () => naiveResampledMedian(sorted, naive));
    // 0.01 is past the 0.1% critical value (0.0087) for two samples of 100k.
    assert.ok(ksDistance(a, b) < 0.01, `n=${n}: distance ${ksDistance(a, b)}`);
  }
});

test('the interval of a large group agrees with resampling and sorting, within the noise of 2000 resamples', () => {
  const rand = prng(9);
  const values = Array.from({ length: 1000 }, () => 1 + rand() * rand());
  const sorted = Float64Array.from(values).sort();
  const naiveRand = prng(10);
  const medians = Array.from({ length: 2000 }, () => naiveResampledMedian(sorted, naiveRand));
  const naive = [percentile(medians, 2.5), percentile(medians, 97.5)];
  const fast = bootstrapMedianCI(values, prng(11));
  const width = naive[1]! - naive[0]!;
  for (const k of [0, 1]) assert.ok(Math.abs(fast[k]! - naive[k]!) < 0.25 * width, `bound ${k}: ${fast} against ${naive}`);
});

test('an interval is the 2.5th and 97.5th percentile of its 2000 drawn medians, interpolated linearly', () => {
  for (const n of [2, 7, 40, 301]) {
    const values = Array.from({ length: n }, (_, i) => Math.cos(i * 1.7) * 3 + 10);
    const resampled = new ResampledMedian(Float64Array.from(values).sort());
    const rand = prng(21);
    const draws = Array.from({ length: 2000 }, () => resampled.draw(rand));
    assert.deepEqual(bootstrapMedianCI(values, prng(21)), [percentile(draws, 2.5), percentile(draws, 97.5)], `n=${n}`);
  }
});

test('a cell\'s median, percentile, min and max, read from its sorted values, equal the direct ones', () => {
  const rand = prng(3);
  const sample = syntheticSamples({ workloads: ['a'], modes: ['legacy'], rounds: 1 })[0]!;
  for (const n of [1, 2, 9, 10]) {
    const values = Array.from({ length: n }, () => rand() * 10);
    const sorted = Float64Array.from(values).sort();
    for (const p of [0, 2.5, 50, 95, 100]) assert.equal(percentileSorted(sorted, p), percentile(values, p));
    const samples = values.map((total, i) => ({ ...sample, round: i, total }));
    const stat = summarize(samples, { percentile: 95, seed: 1 }).cells[0]!.stats.total!;
    assert.deepEqual([stat.median, stat.p, stat.min, stat.max], [median(values), percentile(values, 95), min(values), max(values)], `n=${n}`);
  }
});

test('samples.csv quotes commas, quotes and line breaks so that they read back as written', () => {
  const samples = syntheticSamples({ workloads: ['a,b'], modes: ['legacy'], rounds: 2, status: { 'a,b/legacy': 'failed' } });
  samples[0] = { ...samples[0]!, reason: 'run: "exit 1",\nthen\r\nnothing', disturbed: 'CPU "steal", 12%' };
  const rows = parse(samplesCsv(samples, ['pull', 'create', 'run']), { columns: true }) as Record<string, string>[];
  assert.equal(rows.length, 2);
  assert.equal(rows[0]!.workload, 'a,b');
  assert.equal(rows[0]!.reason, samples[0]!.reason);
  assert.equal(rows[0]!.disturbed, samples[0]!.disturbed);
  assert.equal(rows[1]!.pull, samples[1]!.phases.pull!.toFixed(6));
  assert.equal(rows[1]!.total, '');
});

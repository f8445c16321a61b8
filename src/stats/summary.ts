// Summaries per (workload, mode, metric) and speed-ups over legacy, from samples alone.
import { max, mean, median, min, sampleStandardDeviation } from 'simple-statistics';
import { prng } from '../bench/plan.ts';
import type { Sample, SampleStatus } from '../results/sample.ts';
import { orderModes, systemOf } from '../systems/index.ts';
import { METRICS, metricOf, percentile, type Metric } from './percentile.ts';

/** Bootstrap resamples per interval: enough for stable 95% bounds, cheap for 10k samples. */
export const BOOTSTRAP_RESAMPLES = 2000;

export interface Stat {
  n: number;
  median: number;
  mean: number;
  /** Sample standard deviation; 0 for a single value. */
  stddev: number;
  min: number;
  max: number;
  /** The chosen percentile. */
  p: number;
  /** 95% bootstrap interval of the median. */
  ci: [number, number];
}

export interface Cell {
  workload: string;
  mode: string;
  /** Samples by status (all of them, not only ok). */
  counts: Record<SampleStatus, number>;
  /** Absent for a metric with no ok sample: never shown as zero. */
  stats: Partial<Record<Metric, Stat>>;
  /** Mean share of the image's compressed bytes fetched until the container was up (pull + create + run). */
  fetched_share?: number;
}

export interface SpeedUp { workload: string; mode: string; factor: number; ci: [number, number] }

export interface Summary {
  percentile: number;
  seed: number;
  workloads: string[];
  modes: string[];
  cells: Cell[];
  speedups: SpeedUp[];
}

/**
 * Median of one bootstrap resample of `sorted` (ascending). Drawing indices into the sorted
 * values keeps their order, so counting the draws per index and walking the counts finds
 * the middle values in O(n), without sorting each resample (the report's hot path).
 */
function resampledMedian(sorted: Float64Array, counts: Int32Array, rand: () => number): number {
  const n = sorted.length;
  counts.fill(0);
  for (let i = 0; i < n; i++) counts[Math.floor(rand() * n)]!++;
  const lo = (n - 1) >> 1;
  const hi = n >> 1;
  let seen = 0;
  let low = NaN;
  for (let i = 0; i < n; i++) {
    seen += counts[i]!;
    if (Number.isNaN(low) && seen > lo) low = sorted[i]!;
    if (seen > hi) return (low + sorted[i]!) / 2;
  }
  return low;
}

const ascending = (values: readonly number[]) => Float64Array.from(values).sort();

/** 95% percentile-bootstrap interval of the median. */
export function bootstrapMedianCI(values: readonly number[], rand: () => number, resamples = BOOTSTRAP_RESAMPLES): [number, number] {
  if (values.length === 1) return [values[0]!, values[0]!];
  const sorted = ascending(values);
  const counts = new Int32Array(sorted.length);
  const out = new Float64Array(resamples);
  for (let r = 0; r < resamples; r++) out[r] = resampledMedian(sorted, counts, rand);
  return interval(out);
}

/** 95% bootstrap interval of median(a) / median(b), resampling both groups independently. */
export function ratioCI(a: readonly number[], b: readonly number[], rand: () => number, resamples = BOOTSTRAP_RESAMPLES): [number, number] {
  const sa = ascending(a);
  const sb = ascending(b);
  const ca = new Int32Array(sa.length);
  const cb = new Int32Array(sb.length);
  const out = new Float64Array(resamples);
  for (let r = 0; r < resamples; r++) out[r] = resampledMedian(sa, ca, rand) / resampledMedian(sb, cb, rand);
  return interval(out);
}

function interval(draws: Float64Array): [number, number] {
  draws.sort();
  const sorted = Array.from(draws);
  return [percentile(sorted, 2.5), percentile(sorted, 97.5)];
}

function stat(values: number[], p: number, rand: () => number): Stat {
  return {
    n: values.length, median: median(values), mean: mean(values),
    stddev: values.length > 1 ? sampleStandardDeviation(values) : 0,
    min: min(values), max: max(values), p: percentile(values, p),
    ci: bootstrapMedianCI(values, rand),
  };
}

/**
 * Everything the reports show. Deterministic for a seed: the bootstrap draws from its own
 * generator, in a fixed order of cells.
 */
export function summarize(samples: readonly Sample[], opts: { percentile: number; seed: number; workloads?: string[]; modes?: string[] }): Summary {
  const workloads = opts.workloads ?? [...new Set(samples.map((s) => s.workload))];
  const modes = opts.modes ?? orderModes([...new Set(samples.map((s) => s.mode))]);
  const rand = prng(opts.seed);
  const byCell = new Map<string, Sample[]>();
  for (const s of samples) {
    const k = `${s.workload}\0${s.mode}`;
    const list = byCell.get(k);
    if (list) list.push(s);
    else byCell.set(k, [s]);
  }
  const cells: Cell[] = [];
  const totals = new Map<string, number[]>();
  for (const workload of workloads) {
    for (const mode of modes) {
      const all = byCell.get(`${workload}\0${mode}`) ?? [];
      const counts: Record<SampleStatus, number> = { ok: 0, failed: 0, timeout: 0, invalid: 0 };
      for (const s of all) counts[s.status]++;
      const ok = all.filter((s) => s.status === 'ok');
      const stats: Cell['stats'] = {};
      for (const m of METRICS) {
        const v = ok.map((s) => metricOf(s, m)).filter((x): x is number => x !== undefined);
        if (v.length) stats[m] = stat(v, opts.percentile, rand);
      }
      if (stats.total) totals.set(`${workload}\0${mode}`, ok.map((s) => s.total!));
      const shares = ok.filter((s) => s.image_bytes > 0).map((s) => ((s.bytes_fetched.pull ?? 0) + (s.bytes_fetched.create ?? 0) + (s.bytes_fetched.run ?? 0)) / s.image_bytes);
      cells.push({ workload, mode, counts, stats, ...(shares.length ? { fetched_share: mean(shares) } : {}) });
    }
  }
  const speedups: SpeedUp[] = [];
  for (const workload of workloads) {
    const base = totals.get(`${workload}\0legacy`);
    if (!base) continue;
    for (const mode of modes) {
      const lazy = totals.get(`${workload}\0${mode}`);
      if (mode === 'legacy' || !lazy) continue;
      speedups.push({ workload, mode, factor: median(base) / median(lazy), ci: ratioCI(base, lazy, rand) });
    }
  }
  return { percentile: opts.percentile, seed: opts.seed, workloads, modes, cells, speedups };
}

export function cellOf(summary: Summary, workload: string, mode: string): Cell | undefined {
  return summary.cells.find((c) => c.workload === workload && c.mode === mode);
}

/** For each workload and each system, its mode with the largest speed-up, systems in table order. */
export function headline(summary: Summary): SpeedUp[] {
  const best = new Map<string, SpeedUp>();
  for (const s of summary.speedups) {
    const k = `${s.workload}\0${systemOf(s.mode)}`;
    const cur = best.get(k);
    if (!cur || s.factor > cur.factor) best.set(k, s);
  }
  const order = (s: SpeedUp) => summary.modes.indexOf(s.mode);
  return summary.workloads.flatMap((w) => [...best.values()].filter((s) => s.workload === w).sort((a, b) => order(a) - order(b)));
}

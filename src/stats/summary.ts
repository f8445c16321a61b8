// Summaries per (workload, mode, metric) and speed-ups over legacy, from samples alone.
import { max, mean, median, min, sampleStandardDeviation } from 'simple-statistics';
import { prng } from '../bench/plan.ts';
import { counted, type Sample, type SampleStatus } from '../results/sample.ts';
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
  /** Ok samples left out of the statistics because the machine was disturbed during them. */
  set_aside: number;
  /** Absent for a metric with no ok sample: never shown as zero. */
  stats: Partial<Record<Metric, Stat>>;
  /** Mean share of the image's compressed bytes fetched until the container was up (pull + create + run). */
  fetched_share?: number;
}

export interface SpeedUp {
  workload: string;
  mode: string;
  /** median(legacy totals) / median(mode totals), with a bootstrap interval resampling both groups. */
  factor: number;
  ci: [number, number];
  /**
   * From pairs: legacy / mode total within each round (the two measured close together), the
   * median of those ratios and its interval. Drift slower than a round cancels out of each pair.
   */
  paired?: { factor: number; ci: [number, number]; n: number };
}

export interface Summary {
  percentile: number;
  seed: number;
  workloads: string[];
  modes: string[];
  cells: Cell[];
  speedups: SpeedUp[];
  /** Whether disturbed samples were kept in the statistics. */
  keep_disturbed: boolean;
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
export function summarize(samples: readonly Sample[], opts: { percentile: number; seed: number; workloads?: string[]; modes?: string[]; keepDisturbed?: boolean }): Summary {
  const keep = opts.keepDisturbed ?? false;
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
  /** Counted samples of each cell that has a total: what speed-ups compare. */
  const used = new Map<string, Sample[]>();
  for (const workload of workloads) {
    for (const mode of modes) {
      const all = byCell.get(`${workload}\0${mode}`) ?? [];
      const counts: Record<SampleStatus, number> = { ok: 0, failed: 0, timeout: 0, invalid: 0 };
      for (const s of all) counts[s.status]++;
      const ok = all.filter((s) => counted(s, keep));
      const setAside = counts.ok - ok.length;
      const stats: Cell['stats'] = {};
      for (const m of METRICS) {
        const v = ok.map((s) => metricOf(s, m)).filter((x): x is number => x !== undefined);
        if (v.length) stats[m] = stat(v, opts.percentile, rand);
      }
      if (stats.total) used.set(`${workload}\0${mode}`, ok);
      const shares = ok.filter((s) => s.image_bytes > 0).map((s) => ((s.bytes_fetched.pull ?? 0) + (s.bytes_fetched.create ?? 0) + (s.bytes_fetched.run ?? 0)) / s.image_bytes);
      cells.push({ workload, mode, counts, set_aside: setAside, stats, ...(shares.length ? { fetched_share: mean(shares) } : {}) });
    }
  }
  const speedups: SpeedUp[] = [];
  for (const workload of workloads) {
    const legacy = used.get(`${workload}\0legacy`);
    if (!legacy) continue;
    const base = legacy.map((s) => s.total!);
    for (const mode of modes) {
      const other = used.get(`${workload}\0${mode}`);
      if (mode === 'legacy' || !other) continue;
      const lazy = other.map((s) => s.total!);
      const up: SpeedUp = { workload, mode, factor: median(base) / median(lazy), ci: ratioCI(base, lazy, rand) };
      const ratios = pairedRatios(legacy, other);
      if (ratios.length) up.paired = { factor: median(ratios), ci: bootstrapMedianCI(ratios, rand), n: ratios.length };
      speedups.push(up);
    }
  }
  return { percentile: opts.percentile, seed: opts.seed, workloads, modes, cells, speedups, keep_disturbed: keep };
}

/** legacy total / mode total for each round that has both (its first counted sample of each). */
export function pairedRatios(legacy: readonly Sample[], lazy: readonly Sample[]): number[] {
  const first = (list: readonly Sample[]) => {
    const m = new Map<number, number>();
    for (const s of list) if (s.total !== undefined && !m.has(s.round)) m.set(s.round, s.total);
    return m;
  };
  const a = first(legacy);
  const b = first(lazy);
  return [...a].filter(([r]) => b.has(r)).sort(([x], [y]) => x - y).map(([r, t]) => t / b.get(r)!);
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

export interface UnsureCell { workload: string; mode: string; n: number; half_width_pct?: number }

/**
 * Cells whose median total is not yet known to ±pct: its 95% interval reaches further than
 * pct percent of the median on either side (or the cell has no counted sample).
 */
export function unsureCells(samples: readonly Sample[], pct: number, opts: { seed: number; keepDisturbed?: boolean }): UnsureCell[] {
  const summary = summarize(samples, { percentile: 50, ...opts });
  const out: UnsureCell[] = [];
  for (const c of summary.cells) {
    const t = c.stats.total;
    if (!t) {
      out.push({ workload: c.workload, mode: c.mode, n: 0 });
      continue;
    }
    const half = Math.max(t.median - t.ci[0], t.ci[1] - t.median) / t.median * 100;
    if (half > pct) out.push({ workload: c.workload, mode: c.mode, n: t.n, half_width_pct: Math.round(half * 100) / 100 });
  }
  return out;
}

// Summaries per (workload, mode, metric) and speed-ups over legacy, from samples alone.
import { mean, median, quickselect, sampleStandardDeviation } from 'simple-statistics';
import { prng } from '../util/random.ts';
import { bytesInPhases, cellKey, counted, phasesOf, samplesByCell, type Sample, type SampleStatus } from '../results/sample.ts';
import { BASELINE, orderModes, systemOf } from '../systems/index.ts';
import { metricOf, type Metric } from './percentile.ts';
import { percentileSorted } from '../util/percentile.ts';
import { ResampledMedian } from './resample.ts';

/** Bootstrap resamples per interval: enough for stable 95% bounds; their cost does not grow with the samples. */
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
  /** Mean share of the image's compressed bytes fetched until the container was up (every phase). */
  fetched_share?: number;
  /** Per daemon (containerd, the snapshotter's), the medians over counted samples that recorded it. */
  daemons?: Record<string, DaemonCost>;
  /**
   * Median over those samples of every daemon's CPU seconds together, and that against the
   * baseline's (containerd unpacking the same image) in the same run: the same work costs a
   * shared machine 10-20% more CPU seconds from one hour to the next, the ratio far less.
   */
  daemons_cpu?: { s: number; x_baseline?: number };
}

export interface DaemonCost { cpu_s: number; peak_rss_mb: number; disk_mb?: number; start_cpu_s?: number; start_rss_mb?: number; n: number }

/** Median cost of each daemon over the samples that recorded it (a figure older samples lack, over those that have it). */
function daemonCosts(samples: readonly Sample[]): Record<string, DaemonCost> | undefined {
  const names = [...new Set(samples.flatMap((s) => Object.keys(s.daemons ?? {})))];
  if (!names.length) return undefined;
  return Object.fromEntries(names.map((name) => {
    const list = samples.flatMap((s) => (s.daemons?.[name] ? [s.daemons[name]] : []));
    const optional = (k: 'disk_mb' | 'start_cpu_s' | 'start_rss_mb') => {
      const v = list.flatMap((d) => (d[k] === undefined ? [] : [d[k]]));
      return v.length ? { [k]: median(v) } : {};
    };
    return [name, {
      cpu_s: median(list.map((d) => d.cpu_s)), peak_rss_mb: median(list.map((d) => d.peak_rss_mb)),
      ...optional('disk_mb'), ...optional('start_cpu_s'), ...optional('start_rss_mb'), n: list.length,
    }];
  }));
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
  /** The phases of the run's runtime, in order (`sandbox` only where a sample has one: the CRI runtime). */
  phases: string[];
  /** Whether disturbed samples were kept in the statistics. */
  keep_disturbed: boolean;
}

/**
 * The generator of one interval: the run's seed mixed with what the interval is of (FNV-1a),
 * so each interval is the same whichever others are computed (a history summarizes totals only)
 * and in whatever order (a merged set of shards gives each shard's figures).
 */
export function stream(seed: number, ...of: string[]): () => number {
  let h = 0x811c9dc5;
  for (const ch of of.join('\0')) h = Math.imul(h ^ ch.charCodeAt(0), 0x01000193);
  return prng((seed ^ h) >>> 0);
}

const ascending = (values: readonly number[]) => Float64Array.from(values).sort();

/** 95% percentile-bootstrap interval of the median. */
export function bootstrapMedianCI(values: readonly number[], rand: () => number, resamples = BOOTSTRAP_RESAMPLES): [number, number] {
  return sortedMedianCI(ascending(values), rand, resamples);
}

function sortedMedianCI(sorted: Float64Array, rand: () => number, resamples = BOOTSTRAP_RESAMPLES): [number, number] {
  if (sorted.length === 1) return [sorted[0]!, sorted[0]!];
  const resampled = new ResampledMedian(sorted);
  const draws = new Float64Array(resamples);
  for (let r = 0; r < resamples; r++) draws[r] = resampled.draw(rand);
  return interval(draws);
}

/** 95% bootstrap interval of median(a) / median(b), resampling both groups independently. */
export function ratioCI(a: readonly number[], b: readonly number[], rand: () => number, resamples = BOOTSTRAP_RESAMPLES): [number, number] {
  const ma = new ResampledMedian(ascending(a));
  const mb = new ResampledMedian(ascending(b));
  const draws = new Float64Array(resamples);
  for (let r = 0; r < resamples; r++) draws[r] = ma.draw(rand) / mb.draw(rand);
  return interval(draws);
}

/** The draws' 2.5th and 97.5th percentiles, interpolated linearly as percentile() does. */
function interval(draws: Float64Array): [number, number] {
  return [selectPercentile(draws, 2.5), selectPercentile(draws, 97.5)];
}

/**
 * percentile() by selection: the two order statistics around the position, without sorting
 * all the draws (a history sorts tens of thousands of sets of 2000 otherwise). Reorders `a`.
 */
function selectPercentile(a: Float64Array, p: number): number {
  const pos = (a.length - 1) * (p / 100);
  const lo = Math.floor(pos);
  quickselect(a as unknown as number[], lo);
  if (pos === lo) return a[lo]!;
  // After selection everything right of lo is >= a[lo]: the next order statistic is their minimum.
  let next = Infinity;
  for (let i = lo + 1; i < a.length; i++) if (a[i]! < next) next = a[i]!;
  return a[lo]! + (next - a[lo]!) * (pos - lo);
}

function stat(values: number[], p: number, rand: () => number): Stat {
  const sorted = ascending(values);
  return {
    n: values.length, median: percentileSorted(sorted, 50), mean: mean(values),
    stddev: values.length > 1 ? sampleStandardDeviation(values) : 0,
    min: sorted[0]!, max: sorted[sorted.length - 1]!, p: percentileSorted(sorted, p),
    ci: sortedMedianCI(sorted, rand),
  };
}

/**
 * Everything the reports show. Deterministic for a seed: the bootstrap draws from its own
 * generator, in a fixed order of cells.
 */
export function summarize(samples: readonly Sample[], opts: { percentile: number; seed: number; workloads?: string[]; modes?: string[]; keepDisturbed?: boolean; metrics?: readonly Metric[]; phases?: readonly string[] }): Summary {
  // The runtime's phases, as the caller knows them; else those the samples hold.
  const phases = [...(opts.phases ?? phasesOf(samples))];
  const keep = opts.keepDisturbed ?? false;
  const workloads = opts.workloads ?? [...new Set(samples.map((s) => s.workload))];
  const modes = opts.modes ?? orderModes([...new Set(samples.map((s) => s.mode))]);
  const byCell = samplesByCell(samples);
  const metrics = opts.metrics ?? [...phases, 'total', ...(samples.some((s) => s.warm) ? ['warm'] : [])];
  const cells: Cell[] = [];
  /** Counted samples of each cell that has a total: what speed-ups compare. */
  const used = new Map<string, Sample[]>();
  for (const workload of workloads) {
    for (const mode of modes) {
      const all = byCell.get(cellKey(workload, mode)) ?? [];
      const counts: Record<SampleStatus, number> = { ok: 0, failed: 0, timeout: 0, invalid: 0 };
      for (const s of all) counts[s.status]++;
      const ok = all.filter((s) => counted(s, keep));
      const setAside = counts.ok - ok.length;
      const stats: Cell['stats'] = {};
      for (const m of metrics) {
        const v = ok.map((s) => metricOf(s, m)).filter((x): x is number => x !== undefined);
        if (v.length) stats[m] = stat(v, opts.percentile, stream(opts.seed, workload, mode, m));
      }
      if (stats.total) used.set(cellKey(workload, mode), ok);
      const shares = ok.filter((s) => s.image_bytes > 0).map((s) => bytesInPhases(s) / s.image_bytes);
      const daemons = daemonCosts(ok);
      const cpu = ok.flatMap((s) => (s.daemons ? [Object.values(s.daemons).reduce((a, d) => a + d.cpu_s, 0)] : []));
      cells.push({ workload, mode, counts, set_aside: setAside, stats, ...(shares.length ? { fetched_share: mean(shares) } : {}), ...(daemons ? { daemons } : {}),
        ...(cpu.length ? { daemons_cpu: { s: median(cpu) } } : {}) });
    }
  }
  for (const c of cells) {
    const base = cells.find((b) => b.workload === c.workload && b.mode === BASELINE)?.daemons_cpu?.s;
    if (c.daemons_cpu && base) c.daemons_cpu.x_baseline = c.daemons_cpu.s / base;
  }
  const speedups: SpeedUp[] = [];
  for (const workload of workloads) {
    const legacy = used.get(cellKey(workload, BASELINE));
    if (!legacy) continue;
    const base = legacy.map((s) => s.total!);
    for (const mode of modes) {
      const other = used.get(cellKey(workload, mode));
      if (mode === BASELINE || !other) continue;
      const lazy = other.map((s) => s.total!);
      const up: SpeedUp = { workload, mode, factor: median(base) / median(lazy), ci: ratioCI(base, lazy, stream(opts.seed, workload, mode, 'speed-up')) };
      const ratios = pairedRatios(legacy, other);
      if (ratios.length) up.paired = { factor: median(ratios), ci: bootstrapMedianCI(ratios, stream(opts.seed, workload, mode, 'paired')), n: ratios.length };
      speedups.push(up);
    }
  }
  return { percentile: opts.percentile, seed: opts.seed, workloads, modes, cells, speedups, phases, keep_disturbed: keep };
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

/** The metrics the summary has figures of, in order: its phases, the total, and `warm` when measured. */
export function metricsOf(summary: Summary): string[] {
  return [...summary.phases, 'total', ...(summary.cells.some((c) => c.stats.warm) ? ['warm'] : [])];
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
  // The total alone: each interval has its own generator, so it is the one the report shows.
  const summary = summarize(samples, { percentile: 50, ...opts, metrics: ['total'] });
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

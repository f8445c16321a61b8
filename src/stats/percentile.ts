// Percentiles and the per (image, mode, phase) figures the run prints and result.csv holds.
import { PHASES, type PhaseName, type Sample } from '../results/sample.ts';

/**
 * The p-th percentile (0-100), interpolating linearly between order statistics: numpy's
 * default, which upstream's charts use. (simple-statistics' quantile picks an order
 * statistic instead, which for 5 samples makes p95 the maximum.)
 */
export function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) throw new Error('percentile of no values');
  const sorted = [...values].sort((a, b) => a - b);
  const pos = (sorted.length - 1) * (p / 100);
  const lo = Math.floor(pos);
  const hi = Math.ceil(pos);
  return sorted[lo]! + (sorted[hi]! - sorted[lo]!) * (pos - lo);
}

export type Metric = PhaseName | 'total';
export const METRICS: readonly Metric[] = [...PHASES, 'total'];

export function metricOf(s: Sample, m: Metric): number | undefined {
  return m === 'total' ? s.total : s.phases[m];
}

/** Percentile of each metric over the ok samples of each (workload, mode); absent when none. */
export function percentileTable(samples: readonly Sample[], p: number): Map<string, Map<string, Partial<Record<Metric, number>> & { n: number }>> {
  const out = new Map<string, Map<string, Partial<Record<Metric, number>> & { n: number }>>();
  const groups = new Map<string, Sample[]>();
  for (const s of samples) {
    if (s.status !== 'ok') continue;
    const k = JSON.stringify([s.workload, s.mode]);
    groups.set(k, [...(groups.get(k) ?? []), s]);
  }
  for (const [k, ss] of groups) {
    const [workload, mode] = JSON.parse(k) as [string, string];
    const row: Partial<Record<Metric, number>> & { n: number } = { n: ss.length };
    for (const m of METRICS) {
      const vals = ss.map((s) => metricOf(s, m)).filter((v): v is number => v !== undefined);
      if (vals.length) row[m] = percentile(vals, p);
    }
    if (!out.has(workload)) out.set(workload, new Map());
    out.get(workload)!.set(mode, row);
  }
  return out;
}

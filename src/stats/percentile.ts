// Percentiles, and the metrics a sample has (its phases, their total, and its warm start's).
import type { Sample } from '../results/sample.ts';

/**
 * The p-th percentile (0-100), interpolating linearly between order statistics: numpy's
 * default, which upstream's charts use. (simple-statistics' quantile picks an order
 * statistic instead, which for 5 samples makes p95 the maximum.)
 */
export function percentile(values: readonly number[], p: number): number {
  return percentileSorted([...values].sort((a, b) => a - b), p);
}

/** percentile() of values already in ascending order (no copy, no sort). */
export function percentileSorted(sorted: ArrayLike<number>, p: number): number {
  if (sorted.length === 0) throw new Error('percentile of no values');
  const pos = (sorted.length - 1) * (p / 100);
  const lo = Math.floor(pos);
  const hi = Math.ceil(pos);
  return sorted[lo]! + (sorted[hi]! - sorted[lo]!) * (pos - lo);
}

/** A phase of the run's runtime, `total`, or `warm` (the second start's total, --warm). */
export type Metric = string;

export function metricOf(s: Sample, m: Metric): number | undefined {
  if (m === 'warm') return s.warm?.status === 'ok' ? s.warm.total : undefined;
  return m === 'total' ? s.total : s.phases[m];
}

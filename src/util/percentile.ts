// Percentiles as upstream's charts compute them: for the statistics and for the load after ready.

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

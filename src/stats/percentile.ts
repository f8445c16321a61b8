// The metrics a sample has (its phases, their total, and its warm start's).
import type { Sample } from '../results/sample.ts';

/** A phase of the run's runtime, `total`, or `warm` (the second start's total, --warm). */
export type Metric = string;

export function metricOf(s: Sample, m: Metric): number | undefined {
  if (m === 'warm') return s.warm?.status === 'ok' ? s.warm.total : undefined;
  return m === 'total' ? s.total : s.phases[m];
}

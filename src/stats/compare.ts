// Run-to-run comparison of the total per (workload, mode). A change counts only when the
// 95% bootstrap interval of median(new) / median(base), resampling both runs, excludes 1
// (the noise of both runs is inside that interval) and the change is at least `minChange`:
// with many image x mode cells, an interval alone flags small chance differences.
import { median } from 'simple-statistics';
import { orderModes } from '../systems/index.ts';
import { counted, type Sample } from '../results/sample.ts';
import { ratioCI, stream } from './summary.ts';

export type Verdict = 'regression' | 'improvement' | 'no change' | 'missing';

export interface Change {
  workload: string;
  mode: string;
  base?: { median: number; n: number };
  next?: { median: number; n: number };
  /** median(new) / median(base) and its 95% interval. */
  ratio?: number;
  ci?: [number, number];
  verdict: Verdict;
}

/** Counted totals per `workload\0mode`, in one pass (not one pass per cell). */
function totalsByCell(samples: readonly Sample[], keep: boolean): Map<string, number[]> {
  const out = new Map<string, number[]>();
  for (const s of samples) {
    if (!counted(s, keep) || s.total === undefined) continue;
    const k = `${s.workload}\0${s.mode}`;
    const list = out.get(k);
    if (list) list.push(s.total);
    else out.set(k, [s.total]);
  }
  return out;
}

/** Smallest relative change of the median that is reported (5%). */
export const MIN_CHANGE = 0.05;

export function compareRuns(base: readonly Sample[], next: readonly Sample[], opts: { seed?: number; minChange?: number; workloads?: string[]; keepDisturbed?: boolean } = {}): Change[] {
  const minChange = opts.minChange ?? MIN_CHANGE;
  const keep = opts.keepDisturbed ?? false;
  const baseTotals = totalsByCell(base, keep);
  const nextTotals = totalsByCell(next, keep);
  const keys = new Map<string, [string, string]>();
  for (const s of [...base, ...next]) keys.set(`${s.workload}\0${s.mode}`, [s.workload, s.mode]);
  const workloadOrder = [...new Set([...(opts.workloads ?? []), ...base.map((s) => s.workload), ...next.map((s) => s.workload)])];
  const modeOrder = orderModes([...new Set([...keys.values()].map(([, m]) => m))]);
  const rank = (m: string) => modeOrder.indexOf(m);
  const ordered = [...keys.values()].sort(([wa, ma], [wb, mb]) => workloadOrder.indexOf(wa) - workloadOrder.indexOf(wb) || rank(ma) - rank(mb));
  const out: Change[] = [];
  for (const [workload, mode] of ordered) {
    const a = baseTotals.get(`${workload}\0${mode}`) ?? [];
    const b = nextTotals.get(`${workload}\0${mode}`) ?? [];
    const change: Change = { workload, mode, verdict: 'missing' };
    if (a.length) change.base = { median: median(a), n: a.length };
    if (b.length) change.next = { median: median(b), n: b.length };
    if (a.length && b.length) {
      change.ratio = change.next!.median / change.base!.median;
      change.ci = ratioCI(b, a, stream(opts.seed ?? 1, workload, mode, 'change'));
      const big = Math.abs(change.ratio - 1) >= minChange;
      change.verdict = big && change.ci[0] > 1 ? 'regression' : big && change.ci[1] < 1 ? 'improvement' : 'no change';
    }
    out.push(change);
  }
  return out;
}

/**
 * A shift of the machine's own speed between two runs that a reader should know of: 4%.
 * Over eight default runs on one VM, a cell's median total moved about half as much as the
 * median canary, and more in some cells: runs whose canary was 4.7% and 5.5% apart had 5 of 28
 * cells 5-8% apart, which `compareRuns` reports. Canaries of calm runs were at most 2.9% apart.
 */
export const MACHINE_SHIFT = 0.04;

export interface MachineShift {
  /** Median canary (ms) over each run's counted samples. */
  base: number;
  next: number;
  /** next / base. */
  ratio: number;
}

/**
 * How fast the machine itself was in each run, by the canary timed before every sample (a fixed
 * CPU load). Undefined when either run has no canary figures (runs older than them).
 */
export function machineShift(base: readonly Sample[], next: readonly Sample[], keepDisturbed = false): MachineShift | undefined {
  const canary = (list: readonly Sample[]) => list.filter((s) => counted(s, keepDisturbed) && s.machine).map((s) => s.machine!.canary_ms);
  const [a, b] = [canary(base), canary(next)];
  if (!a.length || !b.length) return undefined;
  const m = { base: median(a), next: median(b) };
  return { ...m, ratio: m.next / m.base };
}

// Run-to-run comparison per (workload, mode), on two grounds. The total time: a change counts
// only when the 95% bootstrap interval of median(new) / median(base), resampling both runs,
// excludes 1 (the noise of both runs is inside that interval) and the change is at least
// `minChange`: with many image x mode cells, an interval alone flags small chance differences.
// What was fetched (bytes and registry requests): fixed for a fixed image and workload, so it is
// judged apart from time, whatever the machine did.
import { median } from 'simple-statistics';
import { FETCH_NOISE, fetchNoiseOf, orderModes, type FetchNoise } from '../systems/index.ts';
import { cellKey, counted, samplesByCell, type Sample } from '../results/sample.ts';
import type { MachineCheck } from '../results/machine.ts';
import { ratioCI, stream } from './summary.ts';

export type Verdict = 'regression' | 'improvement' | 'no change' | 'machine differed' | 'missing';

export interface Change {
  workload: string;
  mode: string;
  base?: { median: number; n: number };
  next?: { median: number; n: number };
  /** median(new) / median(base) and its 95% interval. */
  ratio?: number;
  ci?: [number, number];
  verdict: Verdict;
  /** What was fetched, judged apart from time (both runs have ok samples of the cell). */
  fetched?: FetchChange;
  /** What the verdict rests on: the total time, or (machines differed) what was fetched. */
  basis?: 'time' | 'bytes';
}

export interface FetchChange {
  /** Median bytes fetched per sample, and new / base. */
  bytes: { base: number; next: number; ratio: number };
  /** Median registry responses per sample (runs that record them). */
  requests?: { base: number; next: number; ratio: number };
  verdict: 'regression' | 'improvement' | 'same';
}

/** Counted totals per cell. */
function totalsByCell(samples: readonly Sample[], keep: boolean): Map<string, number[]> {
  const cells = samplesByCell(samples, (s) => counted(s, keep) && s.total !== undefined);
  return new Map([...cells].map(([k, list]) => [k, list.map((s) => s.total!)]));
}

/** Smallest relative change of the median that is reported (5%). */
export const MIN_CHANGE = 0.05;

/** A cell's figure over its ok samples: the median, and the range its samples spread over. */
export interface Spread { median: number; min: number; max: number }
export interface Fetched { bytes: Spread; requests?: Spread }

const spread = (v: number[]): Spread => ({ median: median(v), min: Math.min(...v), max: Math.max(...v) });

/** Bytes and requests per cell over ok samples (a disturbed sample fetched what a calm one did). */
export function fetchedByCell(samples: readonly Sample[]): Map<string, Fetched> {
  return new Map([...samplesByCell(samples, (s) => s.status === 'ok')].map(([k, list]) => [k, {
    bytes: spread(list.map((s) => s.bytes_fetched.total)),
    ...(list.every((s) => s.requests) ? { requests: spread(list.map((s) => s.requests!.total)) } : {}),
  }]));
}

const ratioOf = (a: number, b: number) => (a > 0 ? b / a : b > 0 ? Infinity : 1);

/**
 * Judges what a cell fetched in two runs. Most systems fetch the same bytes and requests in
 * every sample; where timing decides some fetches they vary from sample to sample and run to
 * run, so a change counts only when it passes the system's noise (its share of the median; for
 * requests also more than its number of responses) and every sample of one run lies beyond
 * every sample of the other.
 */
export function fetchChange(a: Fetched, b: Fetched, noise: FetchNoise = FETCH_NOISE): FetchChange {
  const bytes = { base: a.bytes.median, next: b.bytes.median, ratio: ratioOf(a.bytes.median, b.bytes.median) };
  const requests = a.requests && b.requests ? { base: a.requests.median, next: b.requests.median, ratio: ratioOf(a.requests.median, b.requests.median) } : undefined;
  const past = (x: Spread, y: Spread, floor: number) => ratioOf(x.median, y.median) - 1 > noise.share && y.median - x.median >= floor && y.min > x.max;
  const more = past(a.bytes, b.bytes, 1) || (!!a.requests && !!b.requests && past(a.requests, b.requests, noise.requests + 1));
  const less = past(b.bytes, a.bytes, 1) || (!!a.requests && !!b.requests && past(b.requests, a.requests, noise.requests + 1));
  return { bytes, ...(requests ? { requests } : {}), verdict: more ? 'regression' : less ? 'improvement' : 'same' };
}

/**
 * `machineDiffered`: why the two runs' machines are too unlike for their times to be compared
 * (see machineDiffered); each cell is then judged by its bytes fetched alone.
 */
export function compareRuns(base: readonly Sample[], next: readonly Sample[], opts: { seed?: number; minChange?: number; workloads?: string[]; keepDisturbed?: boolean; machineDiffered?: string } = {}): Change[] {
  const minChange = opts.minChange ?? MIN_CHANGE;
  const keep = opts.keepDisturbed ?? false;
  const baseTotals = totalsByCell(base, keep);
  const nextTotals = totalsByCell(next, keep);
  const [baseFetched, nextFetched] = [fetchedByCell(base), fetchedByCell(next)];
  const keys = new Map<string, [string, string]>();
  for (const s of [...base, ...next]) keys.set(cellKey(s.workload, s.mode), [s.workload, s.mode]);
  const workloadOrder = [...new Set([...(opts.workloads ?? []), ...base.map((s) => s.workload), ...next.map((s) => s.workload)])];
  const modeOrder = orderModes([...new Set([...keys.values()].map(([, m]) => m))]);
  const rank = (m: string) => modeOrder.indexOf(m);
  const ordered = [...keys.values()].sort(([wa, ma], [wb, mb]) => workloadOrder.indexOf(wa) - workloadOrder.indexOf(wb) || rank(ma) - rank(mb));
  const out: Change[] = [];
  for (const [workload, mode] of ordered) {
    const a = baseTotals.get(cellKey(workload, mode)) ?? [];
    const b = nextTotals.get(cellKey(workload, mode)) ?? [];
    const change: Change = { workload, mode, verdict: 'missing' };
    if (a.length) change.base = { median: median(a), n: a.length };
    if (b.length) change.next = { median: median(b), n: b.length };
    if (a.length && b.length) {
      change.ratio = change.next!.median / change.base!.median;
      change.ci = ratioCI(b, a, stream(opts.seed ?? 1, workload, mode, 'change'));
      const big = Math.abs(change.ratio - 1) >= minChange;
      change.verdict = big && change.ci[0] > 1 ? 'regression' : big && change.ci[1] < 1 ? 'improvement' : 'no change';
      change.basis = 'time';
    }
    const [fa, fb] = [baseFetched.get(cellKey(workload, mode)), nextFetched.get(cellKey(workload, mode))];
    if (fa && fb) change.fetched = fetchChange(fa, fb, fetchNoiseOf(mode));
    if (opts.machineDiffered && change.fetched) {
      // Time says nothing of the system here; what was fetched still does.
      change.basis = 'bytes';
      change.verdict = change.fetched.verdict === 'same' ? 'machine differed' : change.fetched.verdict;
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

/**
 * Beyond this shift of the median canary, two runs' machines differ too much for their times to
 * be compared: totals move about half as much as the canary and some cells more, so a 10% shift
 * moves cells past the 5% a change needs (docs/noisy-machines.md).
 */
export const MACHINE_DIFFERED = 0.1;

/** What a run says of its machine: its checks before rounds (run.json) and any verdict from outside it (history). */
export interface RunMachine {
  checks?: readonly MachineCheck[];
  /** Set by history when the run's canary was slow against the calm machine of every run it holds. */
  slow?: string;
}

/** Why two runs' machines differed beyond what their times can be compared across, or undefined. */
export function machineDiffered(base: readonly Sample[], next: readonly Sample[], machines: { base?: RunMachine; next?: RunMachine } = {}, keepDisturbed = false): string | undefined {
  const shift = machineShift(base, next, keepDisturbed);
  if (shift && Math.abs(shift.ratio - 1) >= MACHINE_DIFFERED) {
    return `the machine's canary took ${shift.base.toFixed(2)} ms in base and ${shift.next.toFixed(2)} ms in new (${shift.ratio > 1 ? '+' : ''}${((shift.ratio - 1) * 100).toFixed(0)}%, beyond ±${MACHINE_DIFFERED * 100}%)`;
  }
  for (const [name, m] of [['base', machines.base], ['new', machines.next]] as const) {
    if (m?.slow) return `${name}: ${m.slow}`;
    const busy = m?.checks?.filter((c) => c.busy) ?? [];
    if (m?.checks?.length && busy.length * 2 > m.checks.length) return `the machine was busy before ${busy.length} of ${m.checks.length} rounds of ${name} (${busy[0]!.busy})`;
  }
  return undefined;
}

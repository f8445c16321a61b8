// The first minute of service, from samples alone: each cell's latency second by second after
// the server was up (medians over its samples), and how long each mode's p99 took to come
// within 10% of the baseline's.
import { median } from 'simple-statistics';
import { counted, samplesByCell, type Sample } from '../results/sample.ts';
import { BASELINE } from '../systems/index.ts';

export interface CurvePoint { second: number; p50_ms: number; p99_ms: number; answered: number }

export interface LoadCurve {
  workload: string;
  mode: string;
  /** Per second after ready: medians over the samples that had answers in it. */
  points: CurvePoint[];
  /** Samples whose load ran, and what they saw in all (medians per sample). */
  n: number;
  answered: number;
  errors: number;
  /** What the registry served during the load (median per sample). */
  bytes_fetched: number;
  /** Seconds the load's own setup took after ready (a database's table; median per sample). */
  setup_s?: number;
}

/** Every cell whose counted samples carry a load after ready, by workload then mode as `order` lists them. */
export function loadCurves(samples: readonly Sample[], order: { workloads: readonly string[]; modes: readonly string[] }, keepDisturbed = false): LoadCurve[] {
  const out: LoadCurve[] = [];
  for (const list of samplesByCell(samples, (s) => counted(s, keepDisturbed) && s.after_ready !== undefined && !s.after_ready.problem).values()) {
    const loads = list.map((s) => s.after_ready!);
    const seconds = Math.max(...loads.map((l) => l.per_second.length));
    const points: CurvePoint[] = [];
    for (let t = 0; t < seconds; t++) {
      const at = loads.flatMap((l) => { const p = l.per_second[t]; return p?.p99_ms !== undefined ? [p] : []; });
      if (at.length) points.push({ second: t, p50_ms: median(at.map((p) => p.p50_ms!)), p99_ms: median(at.map((p) => p.p99_ms!)), answered: median(at.map((p) => p.answered)) });
    }
    out.push({
      workload: list[0]!.workload, mode: list[0]!.mode, points, n: loads.length,
      answered: median(loads.map((l) => l.answered)), errors: median(loads.map((l) => l.errors)), bytes_fetched: median(loads.map((l) => l.bytes_fetched)),
      ...(loads.every((l) => l.setup_s !== undefined) ? { setup_s: median(loads.map((l) => l.setup_s!)) } : {}),
    });
  }
  const rank = (c: LoadCurve) => order.workloads.indexOf(c.workload) * (order.modes.length + 1) + order.modes.indexOf(c.mode);
  return out.sort((a, b) => rank(a) - rank(b));
}

/** Seconds each point's p99 is taken over (it and the next ones): one noisy second neither settles nor unsettles a mode. */
export const SETTLE_WINDOW = 3;

/** How close to the baseline's p99 counts as there: 10%, or 1 ms for answers of a few ms (noise). */
export const SETTLE_RATIO = 1.1;
export const SETTLE_FLOOR_MS = 1;

export interface Settle {
  workload: string;
  mode: string;
  /** The baseline's p99: the median of its per-second p99 over the load. */
  reference_ms: number;
  /**
   * The first second from which the p99 stays within reach of the reference: the median p99 of
   * every window of SETTLE_WINDOW seconds from there on is; absent: never in the load.
   */
  settled_s?: number;
}

/** For each non-baseline curve with a baseline curve of its workload: when its p99 settled. */
export function settleTimes(curves: readonly LoadCurve[]): Settle[] {
  return curves.flatMap((c) => {
    const base = curves.find((b) => b.workload === c.workload && b.mode === BASELINE);
    if (!base?.points.length || c.mode === BASELINE) return [];
    const reference = median(base.points.map((p) => p.p99_ms));
    const reach = Math.max(reference * SETTLE_RATIO, reference + SETTLE_FLOOR_MS);
    const windowed = c.points.map((_, i) => median(c.points.slice(i, i + SETTLE_WINDOW).map((p) => p.p99_ms)));
    let settled: number | undefined;
    for (let i = c.points.length - 1; i >= 0 && windowed[i]! <= reach; i--) settled = c.points[i]!.second;
    return [{ workload: c.workload, mode: c.mode, reference_ms: reference, ...(settled !== undefined ? { settled_s: settled } : {}) }];
  });
}

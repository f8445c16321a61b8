// Where lazy pulling stops paying, from a sweep of links: each mode's speed-up over the baseline
// at every (bandwidth, RTT) of the grid, the RTT at which it falls to 1 per bandwidth, and the
// best mode at each link. Totals grow linearly with the RTT (each round trip costs one), so the
// crossing is interpolated linearly in RTT between the two grid points around it; its interval
// is where the speed-up's interval bounds cross 1.
import { BASELINE, systemOf } from '../systems/index.ts';

/** One cell of one link of the sweep: a mode's speed-up over the baseline and its 95% interval. */
export interface SweepPoint { workload: string; mode: string; bandwidth: number; rtt_ms: number; factor: number; ci: [number, number] }

export interface Crossover {
  workload: string;
  mode: string;
  bandwidth: number;
  /**
   * `crosses`: the RTT at which the speed-up falls to 1, with the RTTs where its interval's
   * bounds do (null: beyond the grid's side); `never`: not faster at the grid's lowest RTT;
   * `beyond`: faster at every RTT of the grid.
   */
  verdict: 'crosses' | 'never' | 'beyond';
  rtt_ms?: number;
  interval?: [number | null, number | null];
}

/**
 * The first RTT at which a series (sorted by RTT) falls from above 1 to 1 or below, linearly
 * interpolated; null when it never does; -Infinity when it starts at or below 1.
 */
export function crossing(rtts: readonly number[], values: readonly number[]): number | null {
  if (values[0]! <= 1) return -Infinity;
  for (let i = 0; i + 1 < values.length; i++) {
    const [a, b] = [values[i]!, values[i + 1]!];
    if (a > 1 && b <= 1) return rtts[i]! + ((a - 1) / (a - b)) * (rtts[i + 1]! - rtts[i]!);
  }
  return null;
}

const key = (...parts: (string | number)[]) => parts.join('\0');

/** Per image, mode (not the baseline) and bandwidth, where its speed-up crosses 1 along the RTT. */
export function crossovers(points: readonly SweepPoint[]): Crossover[] {
  const series = new Map<string, SweepPoint[]>();
  for (const p of points) {
    if (p.mode === BASELINE) continue;
    const k = key(p.workload, p.mode, p.bandwidth);
    series.set(k, [...(series.get(k) ?? []), p]);
  }
  return [...series.values()].map((list) => {
    const s = [...list].sort((a, b) => a.rtt_ms - b.rtt_ms);
    const rtts = s.map((p) => p.rtt_ms);
    const base = { workload: s[0]!.workload, mode: s[0]!.mode, bandwidth: s[0]!.bandwidth };
    const mid = crossing(rtts, s.map((p) => p.factor));
    if (mid === -Infinity) return { ...base, verdict: 'never' as const };
    if (mid === null) return { ...base, verdict: 'beyond' as const };
    // The lower bound of the speed-up crosses first: the earliest RTT; the upper bound last.
    const lo = crossing(rtts, s.map((p) => p.ci[0]));
    const hi = crossing(rtts, s.map((p) => p.ci[1]));
    return { ...base, verdict: 'crosses' as const, rtt_ms: mid, interval: [lo === -Infinity ? null : lo, hi] as [number | null, number | null] };
  });
}

export interface Best {
  workload: string;
  bandwidth: number;
  rtt_ms: number;
  /** The fastest mode there (the baseline when no mode beats it) and its system. */
  mode: string;
  system: string;
  factor: number;
  /** The runner-up among the other systems' best modes, and best / runner-up. */
  next?: { mode: string; factor: number };
  margin?: number;
  /** Whether the intervals of the two do not overlap: the order holds beyond the noise. */
  clear?: boolean;
}

/** At each image and link: the best mode of each system (the baseline counted at 1), the best of those, and its margin. */
export function bestByLink(points: readonly SweepPoint[]): Best[] {
  const at = new Map<string, SweepPoint[]>();
  for (const p of points) {
    const k = key(p.workload, p.bandwidth, p.rtt_ms);
    at.set(k, [...(at.get(k) ?? []), p]);
  }
  return [...at.values()].map((list) => {
    const { workload, bandwidth, rtt_ms } = list[0]!;
    const baseline: SweepPoint = { workload, mode: BASELINE, bandwidth, rtt_ms, factor: 1, ci: [1, 1] };
    // A system's best mode stands for it; the baseline's system is itself.
    const bySystem = new Map<string, SweepPoint>([[systemOf(BASELINE), baseline]]);
    for (const p of list) {
      if (p.mode === BASELINE) continue;
      const sys = systemOf(p.mode);
      if (!bySystem.has(sys) || bySystem.get(sys)!.factor < p.factor) bySystem.set(sys, p);
    }
    const ranked = [...bySystem.values()].sort((a, b) => b.factor - a.factor);
    const [best, next] = [ranked[0]!, ranked[1]];
    return {
      workload, bandwidth, rtt_ms, mode: best.mode, system: systemOf(best.mode), factor: best.factor,
      ...(next ? { next: { mode: next.mode, factor: next.factor }, margin: best.factor / next.factor, clear: best.ci[0] > next.ci[1] } : {}),
    };
  });
}

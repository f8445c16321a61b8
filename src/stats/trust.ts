// Whether a run measured anything: a run whose samples were mostly set aside as disturbed, or
// that left a cell without a counted sample, has no figures to trust, however it ended.
import { disturbanceKind } from '../bench/machine.ts';
import { counted, type Sample } from '../results/sample.ts';

/** More than this share of a run's ok samples set aside, and the run is not a measurement. */
export const MAX_SET_ASIDE = 0.5;

export interface Trust {
  ok_samples: number;
  set_aside: number;
  /** Cells with ok samples, every one set aside. */
  empty: { workload: string; mode: string }[];
  /** The reason most set-aside samples give (its kind: "CPU taken outside the lab", "canary", ...) and how many. */
  dominant?: { kind: string; n: number };
  /** One line saying why the run is not a measurement; absent when it is. */
  problem?: string;
}

export function runTrust(samples: readonly Sample[], keepDisturbed = false): Trust {
  const ok = samples.filter((s) => s.status === 'ok');
  const aside = keepDisturbed ? [] : ok.filter((s) => s.disturbed !== undefined);
  const cells = new Map<string, { workload: string; mode: string; counted: number }>();
  for (const s of ok) {
    const c = cells.get(`${s.workload}\0${s.mode}`) ?? { workload: s.workload, mode: s.mode, counted: 0 };
    if (counted(s, keepDisturbed)) c.counted++;
    cells.set(`${s.workload}\0${s.mode}`, c);
  }
  const empty = [...cells.values()].filter((c) => c.counted === 0).map(({ workload, mode }) => ({ workload, mode }));
  const kinds = new Map<string, number>();
  for (const s of aside) kinds.set(disturbanceKind(s.disturbed!), (kinds.get(disturbanceKind(s.disturbed!)) ?? 0) + 1);
  const top = [...kinds].sort((a, b) => b[1] - a[1])[0];
  const trust: Trust = { ok_samples: ok.length, set_aside: aside.length, empty, ...(top ? { dominant: { kind: top[0], n: top[1] } } : {}) };
  const mostly = ok.length > 0 && aside.length / ok.length > MAX_SET_ASIDE;
  if (!empty.length && !mostly) return trust;
  const names = empty.slice(0, 6).map((c) => `${c.workload} ${c.mode}`).join(', ') + (empty.length > 6 ? `, and ${empty.length - 6} more` : '');
  const why = top ? `, ${top[1]} of them for ${top[0]}` : '';
  trust.problem = `the machine was too busy to measure: ${aside.length} of ${ok.length} ok samples set aside as disturbed${why}${
    empty.length ? `; no counted sample in ${names}` : ''}. Run on a calmer machine, or pass --keep-disturbed to count them`;
  return trust;
}

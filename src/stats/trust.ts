// Whether a run measured anything: a run whose samples were mostly set aside as disturbed, or
// that left a cell without a counted sample, has no figures to trust, however it ended.
import { disturbanceKind } from '../bench/machine.ts';
import { counted, type Sample } from '../results/sample.ts';

/** More than this share of a run's sample jobs (round x image x mode) set aside after their re-takes, and the run is not a measurement. */
export const MAX_SET_ASIDE = 0.5;

export interface Trust {
  /** Sample jobs (a round of an image x mode) with an ok sample, and those whose every ok try was set aside. */
  jobs: number;
  jobs_set_aside: number;
  /** Ok samples set aside, re-takes included. */
  set_aside: number;
  /** Cells with ok samples, every one set aside. */
  empty: { workload: string; mode: string }[];
  /** The reason most set-aside samples give (its kind: "CPU taken outside the lab", "canary", ...) and how many. */
  dominant?: { kind: string; n: number };
  /** One line saying why the run is not a measurement; absent when it is. */
  problem?: string;
}

/**
 * Judged by jobs, not samples: a job whose first tries were set aside and whose re-take counted
 * is measured (short loopback samples stall past the pressure floor until their cell has a level).
 */
export function runTrust(samples: readonly Sample[], keepDisturbed = false): Trust {
  const ok = samples.filter((s) => s.status === 'ok');
  const aside = keepDisturbed ? [] : ok.filter((s) => s.disturbed !== undefined);
  const countedIn = (key: (s: Sample) => string) => {
    const m = new Map<string, { s: Sample; counted: number }>();
    for (const s of ok) {
      const e = m.get(key(s)) ?? { s, counted: 0 };
      if (counted(s, keepDisturbed)) e.counted++;
      m.set(key(s), e);
    }
    return [...m.values()];
  };
  const cells = countedIn((s) => `${s.workload}\0${s.mode}`);
  const jobs = countedIn((s) => `${s.round}\0${s.workload}\0${s.mode}`);
  const empty = cells.filter((c) => c.counted === 0).map(({ s }) => ({ workload: s.workload, mode: s.mode }));
  const jobsAside = jobs.filter((j) => j.counted === 0).length;
  const kinds = new Map<string, number>();
  for (const s of aside) kinds.set(disturbanceKind(s.disturbed!), (kinds.get(disturbanceKind(s.disturbed!)) ?? 0) + 1);
  const top = [...kinds].sort((a, b) => b[1] - a[1])[0];
  const trust: Trust = { jobs: jobs.length, jobs_set_aside: jobsAside, set_aside: aside.length, empty, ...(top ? { dominant: { kind: top[0], n: top[1] } } : {}) };
  const mostly = jobs.length > 0 && jobsAside / jobs.length > MAX_SET_ASIDE;
  if (!empty.length && !mostly) return trust;
  const names = empty.slice(0, 6).map((c) => `${c.workload} ${c.mode}`).join(', ') + (empty.length > 6 ? `, and ${empty.length - 6} more` : '');
  const why = top ? `; ${top[1]} of the ${aside.length} samples set aside were for ${top[0]}` : '';
  trust.problem = `the machine was too busy to measure: ${jobsAside} of ${jobs.length} planned samples were set aside as disturbed after their re-takes${why}${
    empty.length ? `; no counted sample in ${names}` : ''}. Run on a calmer machine, or pass --keep-disturbed to count them`;
  return trust;
}

// The history's content as tables, once; markdown.ts and html.ts only lay them out.
import type { Table } from '../report/model.ts';
import { describeHost, hostKind } from '../results/metadata.ts';
import type { Change } from '../stats/compare.ts';
import { flagged, latest, type History, type HistoryRun } from './build.ts';

const pct = (r: number) => `${r >= 1 ? '+' : ''}${((r - 1) * 100).toFixed(1)}%`;
/** A change judged by bytes (the machines differed) shows the bytes' change; its time would mislead. */
export const changeText = (c: Change) => {
  const fetched = c.fetched && c.fetched.verdict !== 'same' ? `bytes fetched ${pct(c.fetched.bytes.ratio)}${c.fetched.requests ? `, requests ${pct(c.fetched.requests.ratio)}` : ''}` : '';
  if (c.basis === 'bytes') return fetched || (c.fetched ? `bytes fetched ${pct(c.fetched.bytes.ratio)}` : '-');
  return [c.ratio === undefined ? '-' : pct(c.ratio), ...(fetched ? [fetched] : [])].join('; ');
};
/** The verdict of the time, and of what was fetched where that is not the same. */
const verdictText = (c: Change) => (c.fetched && c.fetched.verdict !== 'same' && c.basis !== 'bytes' ? `${c.verdict}; fetched: ${c.fetched.verdict}` : c.verdict);
export const ciText = (c: Change, sep = ' .. ') => (c.basis !== 'bytes' && c.ci ? `${pct(c.ci[0])}${sep}${pct(c.ci[1])}` : '-');
const sec = (v?: number) => (v === undefined ? '-' : v.toFixed(3));
const when = (iso: string) => iso.replace('T', ' ').replace(/:\d\d(\.\d+)?Z$/, ' UTC');

export function method(h: History): string[] {
  return [
    'Each run is compared with the previous run over the same link (profile, rate and round trip), named in the runs table: runs over different links share the history but are never compared with each other. Runs with another containerd or catalogue are compared; the table shows both.',
    `A change is marked only when the 95% bootstrap interval of median(new total) / median(previous total), resampling both runs (2000 resamples), excludes 1, and the median moved by at least ${(h.min_change * 100).toFixed(0)}% (as hellobench compare judges two runs). ${h.keep_disturbed ? 'Disturbed samples are kept.' : 'Samples taken while the machine was disturbed are left out.'}`,
    'Medians and speed-ups with their 95% intervals are computed as in each run\'s report (bootstrap seeded by the run\'s seed).',
  ];
}

/** The run `r` is compared with, when it ran on an unlike machine (hostKind): a change may be the machine's. */
export function unlikeMachine(h: History, r: HistoryRun): HistoryRun | undefined {
  const base = h.runs.find((b) => b.run_id === r.compared_with);
  return base && hostKind(base.host) !== hostKind(r.host) ? base : undefined;
}

/** One line on the latest run against the one it is compared with. */
export function verdictLine(h: History): string {
  const r = latest(h)!;
  if (!r.compared_with) return `Latest run ${r.run_id} (${r.link}) has no earlier run over its link to compare with.`;
  const same = r.changes.filter((c) => c.verdict === 'no change').length;
  const unlike = unlikeMachine(h, r);
  if (r.machine_differed) {
    return `Latest run ${r.run_id} against ${r.compared_with} (${r.link}): the machines differed (${r.machine_differed}), so times are not compared; by bytes fetched, ${flagged(r, 'regression').length} regression(s), ${flagged(r, 'improvement').length} improvement(s), ${r.changes.filter((c) => c.verdict === 'machine differed').length} the same.`;
  }
  return `Latest run ${r.run_id} against ${r.compared_with} (${r.link}): ${flagged(r, 'regression').length} regression(s), ${flagged(r, 'improvement').length} improvement(s), ${same} image x mode(s) without a change beyond the noise.${unlike ? ` The two ran on unlike machines (${hostKind(r.host)}; ${unlike.run_id}: ${hostKind(unlike.host)}): a change may be the machine's.` : ''}`;
}

/** The latest run's regressions, then its improvements. */
export function latestChanges(h: History): Table {
  const r = latest(h)!;
  return {
    caption: `Changes ${r.machine_differed ? 'of the bytes fetched (the machines differed)' : 'of the total'} in ${r.run_id} against ${r.compared_with ?? '-'} (median seconds)`,
    header: ['image', 'mode', 'before', 'now', 'change', '95% CI of change', 'verdict'],
    rows: [...flagged(r, 'regression'), ...flagged(r, 'improvement')].map((c) => [c.workload, c.mode, sec(c.base?.median), sec(c.next?.median), changeText(c), ciText(c), verdictText(c)]),
  };
}

/** Every run, newest first, with what changed against its predecessor. */
export function runsTable(h: History): Table {
  const row = (r: HistoryRun) => {
    const images = new Set(r.cells.map((c) => c.workload)).size;
    const modes = new Set(r.cells.map((c) => c.mode)).size;
    return [r.run_id, when(r.started_at), r.link, String(flagged(r, 'regression').length), String(flagged(r, 'improvement').length),
      r.compared_with ?? '- (first over its link)', `${r.n_samples}${r.outcome === 'complete' ? '' : ` (${r.outcome})`}`, `${images} x ${modes}`,
      r.containerd ?? '1.6', r.catalogue, r.commit ?? '-',
      `${describeHost(r.host)}${unlikeMachine(h, r) ? `; unlike ${r.compared_with}'s machine` : ''}${r.machine ? `; canary ${r.machine.canary_ms.toFixed(2)} ms (calm ${r.machine.calm_ms.toFixed(2)}), ${r.machine.busy} of ${r.machine.checks} checks busy` : ''}${r.machine_differed ? `; machine differed from ${r.compared_with}'s: times not compared` : ''}`];
  };
  return {
    caption: `Runs (${h.runs.length}), newest first`,
    header: ['run', 'started', 'link', 'regressions', 'improvements', 'compared with', 'samples', 'images x modes', 'containerd', 'catalogue', 'hellobench', 'machine'],
    rows: [...h.runs].reverse().map(row),
  };
}

/** Regressions and improvements of every run, newest first. */
export function allChanges(h: History): Table {
  return {
    caption: 'Every regression and improvement, newest first',
    header: ['run', 'compared with', 'image', 'mode', 'change', '95% CI of change', 'verdict'],
    rows: [...h.runs].reverse().flatMap((r) => [...flagged(r, 'regression'), ...flagged(r, 'improvement')]
      .map((c) => [r.run_id, r.compared_with!, c.workload, c.mode, changeText(c), ciText(c), verdictText(c)])),
  };
}

/**
 * The latest run's cells against their floors, beside the run it is compared with: a system
 * that moved away from what the link allows shows here whatever the machine's speed did to both.
 */
export function floorChanges(h: History): Table | undefined {
  const r = latest(h);
  if (!r?.floors?.length) return undefined;
  const before = h.runs.find((x) => x.run_id === r.compared_with)?.floors ?? [];
  return {
    caption: `Measured / floor in ${r.run_id}${r.compared_with ? ` and ${r.compared_with}` : ''} (${r.link}; floor: round trips x RTT + bytes until up / rate)`,
    header: ['image', 'mode', 'before', 'now', 'change'],
    rows: r.floors.map((f) => {
      const b = before.find((x) => x.workload === f.workload && x.mode === f.mode)?.ratio;
      return [f.workload, f.mode, b === undefined ? '-' : b.toFixed(2), f.ratio.toFixed(2), b === undefined ? '-' : `${(((f.ratio / b) - 1) * 100).toFixed(1)}%`];
    }),
  };
}

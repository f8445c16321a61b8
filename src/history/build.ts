// A history: every run's totals and speed-ups, and what changed against the previous run over
// the same link. Each run's samples are read and summarized once, and kept only until the
// next run over its link has been compared with them.
import { UserError } from '../errors.ts';
import { loadReportInput } from '../report/input.ts';
import type { HostInfo } from '../results/metadata.ts';
import type { Sample } from '../results/sample.ts';
import { compareRuns, machineDiffered, type Change } from '../stats/compare.ts';
import { floorCells } from '../stats/fidelity.ts';
import { THRESHOLDS } from '../bench/machine.ts';
import { quantile, median } from 'simple-statistics';
import { orderModes } from '../systems/index.ts';
import type { RunRef } from './runs.ts';
import { roundTo } from '../util/round.ts';

export const HISTORY_FORMAT = 1;

export interface HistoryRun {
  run_id: string;
  /** As given on the command line. */
  dir: string;
  started_at: string;
  outcome: string;
  /** Profile, rate and round trip. */
  link: string;
  containerd?: string;
  catalogue: string;
  /** The commit of hellobench that measured (run.json's commit, 12 digits). */
  commit?: string;
  /** The machine that measured, as run.json records it (its size and cgroup set-up are absent in older runs). */
  host: HostInfo;
  n_samples: number;
  /** Total start-up time per image x mode: median and its 95% interval; n = 0 and no median without an ok sample. */
  cells: { workload: string; mode: string; n: number; median?: number; ci?: [number, number] }[];
  speedups: { workload: string; mode: string; factor: number; ci: [number, number] }[];
  /** Each cell's measured / floor on the run's link (median over samples; shaped links, runs that counted round trips). */
  floors?: { workload: string; mode: string; ratio: number }[];
  /** The run `changes` are against: the previous one over the same link; absent for the first of its link. */
  compared_with?: string;
  changes: Change[];
  /**
   * The machine on its own before the run's rounds, against the calm machine of its kind over
   * every run of the history (CI runners are new machines each run: their reference lives here).
   * Absent in runs from before the checks.
   */
  machine?: { checks: number; busy: number; canary_ms: number; calm_ms: number; slow?: string };
  /** Why the run's machine and its predecessor's differed too much to compare their times (cells then judged by bytes). */
  machine_differed?: string;
}

export interface History {
  format: typeof HISTORY_FORMAT;
  generated_at: string;
  min_change: number;
  keep_disturbed: boolean;
  /** Oldest first. */
  runs: HistoryRun[];
  /** Result sets skipped and lines that could not be read. */
  warnings: string[];
}

/** The kind of machine a calm canary belongs to: CPU model and count (as bench/reference.ts keys it, without the host's name). */
const kindOf = (r: RunRef) => `${r.meta.host.cpu}\0${r.meta.host.cores}`;

/** The calm canary per kind of machine: the lower quartile of every calm check the runs hold. */
function calmByKind(refs: readonly RunRef[]): Map<string, number> {
  const canaries = new Map<string, number[]>();
  for (const r of refs) {
    const calm = (r.meta.machine?.checks ?? []).filter((c) => !c.busy).map((c) => c.canary_ms);
    if (calm.length) canaries.set(kindOf(r), [...(canaries.get(kindOf(r)) ?? []), ...calm]);
  }
  return new Map([...canaries].map(([k, v]) => [k, quantile(v, 0.25)]));
}

/** A run's checks against the calm machine of its kind. */
function runMachine(r: RunRef, calm: Map<string, number>): HistoryRun['machine'] {
  const checks = r.meta.machine?.checks ?? [];
  const calmMs = calm.get(kindOf(r));
  if (!checks.length || calmMs === undefined) return undefined;
  const canary = median(checks.map((c) => c.canary_ms));
  const ratio = canary / calmMs;
  const slow = ratio > THRESHOLDS.check_canary_ratio ? `its checks' canary was ${ratio.toFixed(2)}x the calm ${r.meta.host.cpu}'s over the history (> ${THRESHOLDS.check_canary_ratio}x)` : undefined;
  return { checks: checks.length, busy: checks.filter((c) => c.busy).length, canary_ms: round(canary), calm_ms: round(calmMs), ...(slow ? { slow } : {}) };
}

const round = (v: number) => roundTo(v, 2);

export function buildHistory(refs: readonly RunRef[], opts: { minChange: number; keepDisturbed: boolean; warnings?: string[] }): History {
  const runs: HistoryRun[] = [];
  const warnings = [...(opts.warnings ?? [])];
  const calm = calmByKind(refs);
  const lastOfLink = new Map<string, { run_id: string; samples: Sample[]; workloads: string[]; machine: { checks?: NonNullable<RunRef['meta']['machine']>['checks']; slow?: string } }>();
  for (const ref of refs) {
    let input;
    try {
      input = loadReportInput(ref.dir, { percentile: 95, keepDisturbed: opts.keepDisturbed, metrics: ['total'] });
    } catch (err) {
      if (!(err instanceof UserError)) throw err;
      warnings.push(`${err.message}; skipped`);
      continue;
    }
    warnings.push(...input.warnings);
    const { meta } = ref;
    const prev = lastOfLink.get(ref.link);
    const machine = runMachine(ref, calm);
    const own = { ...(meta.machine ? { checks: meta.machine.checks } : {}), ...(machine?.slow ? { slow: machine.slow } : {}) };
    const differed = prev && machineDiffered(prev.samples, input.samples, { base: prev.machine, next: own }, opts.keepDisturbed);
    const changes = prev ? compareRuns(prev.samples, input.samples, { minChange: opts.minChange, workloads: prev.workloads, keepDisturbed: opts.keepDisturbed, ...(differed ? { machineDiffered: differed } : {}) }) : [];
    lastOfLink.set(ref.link, { run_id: meta.run_id, samples: input.samples, workloads: input.summary.workloads, machine: own });
    const floors = floorCells(input.samples, meta.link, opts.keepDisturbed).map((f) => ({ workload: f.workload, mode: f.mode, ratio: round(f.ratio) }));
    runs.push({
      run_id: meta.run_id, dir: ref.dir, started_at: meta.started_at, outcome: meta.outcome, link: ref.link,
      ...(meta.options.containerd ? { containerd: meta.options.containerd } : {}),
      catalogue: meta.options.workloads,
      ...(meta.commit ? { commit: meta.commit.slice(0, 12) } : {}),
      host: meta.host,
      n_samples: input.samples.length,
      cells: input.summary.cells.map((c) => {
        const t = c.stats.total;
        return t ? { workload: c.workload, mode: c.mode, n: t.n, median: t.median, ci: t.ci } : { workload: c.workload, mode: c.mode, n: 0 };
      }),
      speedups: input.summary.speedups.map((s) => ({ workload: s.workload, mode: s.mode, factor: s.factor, ci: s.ci })),
      ...(floors.length ? { floors } : {}),
      ...(prev ? { compared_with: prev.run_id } : {}),
      changes,
      ...(machine ? { machine } : {}),
      ...(differed ? { machine_differed: differed } : {}),
    });
  }
  return { format: HISTORY_FORMAT, generated_at: new Date().toISOString(), min_change: opts.minChange, keep_disturbed: opts.keepDisturbed, runs, warnings };
}

/** Images in the order runs list them (newer runs' additions last) and modes in table order. */
export function axes(h: History): { workloads: string[]; modes: string[] } {
  const workloads = new Set<string>();
  const modes = new Set<string>();
  for (const r of h.runs) {
    for (const c of r.cells) {
      workloads.add(c.workload);
      modes.add(c.mode);
    }
  }
  return { workloads: [...workloads], modes: orderModes([...modes]) };
}

export const latest = (h: History): HistoryRun | undefined => h.runs.at(-1);

/** The latest changes of a run with this verdict, of the time or of what was fetched. */
export const flagged = (r: HistoryRun, verdict: 'regression' | 'improvement') => r.changes.filter((c) => c.verdict === verdict || c.fetched?.verdict === verdict);

// The report's content, once, as plain data; markdown.ts and html.ts only lay it out.
import { headline, type Cell, type Summary } from '../stats/summary.ts';
import type { ReportInput } from './input.ts';

export interface Table { caption: string; header: string[]; rows: string[][] }

export interface ReportModel {
  title: string;
  headline: string[];
  tables: Table[];
  /** Share of each image fetched before its container ran, per mode. */
  fetched: Table;
  failures: Table;
  environment: [string, string][];
  reproduce: string;
  notes: string[];
}

const sec = (v: number | undefined) => (v === undefined ? 'no ok sample' : v.toFixed(3));
const pct = (v: number | undefined) => (v === undefined ? '-' : `${(v * 100).toFixed(1)}%`);

export function speedupText(summary: Summary): string[] {
  return headline(summary).map((h) => {
    const legacy = summary.cells.find((c) => c.workload === h.workload && c.mode === 'legacy')!.stats.total!.median;
    const lazy = summary.cells.find((c) => c.workload === h.workload && c.mode === h.mode)!.stats.total!.median;
    return `${h.workload}: ${h.mode} starts ${h.factor.toFixed(1)}x faster than legacy (95% CI ${h.ci[0].toFixed(1)}-${h.ci[1].toFixed(1)}x; median total ${legacy.toFixed(2)} s -> ${lazy.toFixed(2)} s)`;
  });
}

function cellRow(c: Cell): string[] {
  const s = c.stats;
  const n = c.counts.ok;
  const all = n + c.counts.failed + c.counts.timeout + c.counts.invalid;
  const ci = s.total ? `${s.total.ci[0].toFixed(3)}-${s.total.ci[1].toFixed(3)}` : '-';
  return [c.mode, sec(s.pull?.p), sec(s.create?.p), sec(s.run?.p), sec(s.total?.p), sec(s.total?.median), ci, `${n} / ${all}`];
}

export function buildModel(input: ReportInput): ReportModel {
  const { summary, meta, samples } = input;
  const p = summary.percentile;
  const tables: Table[] = summary.workloads.map((w) => ({
    caption: `${w} (p${p}, seconds)`,
    header: ['mode', 'pull(sec)', 'create(sec)', 'run(sec)', `total p${p}`, 'total median', 'median 95% CI', 'n ok / n'],
    rows: summary.cells.filter((c) => c.workload === w).map(cellRow),
  }));
  const fetched: Table = {
    caption: 'Share of the image fetched before the container ran (mean of ok samples)',
    header: ['image', ...summary.modes],
    rows: summary.workloads.map((w) => [w, ...summary.modes.map((m) => pct(summary.cells.find((c) => c.workload === w && c.mode === m)?.fetched_share))]),
  };
  const bad = samples.filter((s) => s.status !== 'ok');
  const failures: Table = {
    caption: `Samples that are not ok (${bad.length} of ${samples.length})`,
    header: ['image', 'mode', 'round', 'status', 'reason'],
    rows: bad.map((s) => [s.workload, s.mode, String(s.round + 1), s.status, s.reason ?? '']),
  };
  const environment: [string, string][] = meta ? [
    ['run', `${meta.run_id} (${meta.outcome})`],
    ['started / finished', `${meta.started_at} / ${meta.finished_at ?? '-'}`],
    ['host', `${meta.host.cpu}, ${meta.host.cores} cores, ${meta.host.memory_gib} GiB, kernel ${meta.host.kernel}`],
    ['link', describeLink(meta.link)],
    ...Object.entries(meta.versions).map(([k, v]) => [k, v] as [string, string]),
    ['seed', String(meta.options.seed)],
  ] : [['run', 'run.json is missing: environment unknown']];
  const o = meta?.options ?? {};
  const reproduce = meta
    ? ['scripts/bench.sh', '--workloads', String(o.workloads), ...(o.only ? ['--only', String(o.only)] : []),
      '--modes', (o.modes as string[]).join(','), '--samples', String(o.samples), '--seed', String(o.seed), '--percentile', String(p),
      ...((o.link as string | undefined) ? ['--link', String(o.link)] : [])].join(' ')
    : 'unknown (run.json is missing)';
  const notes = [
    `Phases at the ${p}th percentile of ok samples (linear interpolation); the total is pull + create + run per sample, so its percentile is not the sum of the phase percentiles.`,
    'Only the total compares directly across modes: prefetching moves time between create and run.',
    `Confidence intervals: 95% percentile bootstrap of the median (2000 resamples, seed ${summary.seed}); speed-ups: of median(legacy) / median(mode).`,
    ...input.warnings,
  ];
  return {
    title: `hellobench: container start-up${meta ? `, run ${meta.run_id}` : ''}`,
    headline: speedupText(summary), tables, fetched, failures, environment, reproduce, notes,
  };
}

function describeLink(link: Record<string, unknown>): string {
  return Object.entries(link).map(([k, v]) => `${k}: ${typeof v === 'object' ? JSON.stringify(v) : v}`).join(', ');
}

// CSV exports: upstream's result.csv and a long summary through csv-stringify; the raw samples,
// one line each, with the same quoting written out.
import { stringify } from 'csv-stringify/sync';
import { phasesOf, type Sample } from '../results/sample.ts';
import { cellOf, metricsOf, type Summary } from '../stats/summary.ts';

const num = (v: number | undefined) => (v === undefined ? '' : v.toFixed(6));

/** Upstream's layout, one column per mode of the run (upstream's four first); an unmeasured cell is empty. */
export function resultCsv(summary: Summary): string {
  const rows: string[][] = [['image', 'operation', ...summary.modes]];
  for (const w of summary.workloads) {
    for (const op of summary.phases) rows.push([w, op, ...summary.modes.map((m) => num(cellOf(summary, w, m)?.stats[op]?.p))]);
  }
  return stringify(rows);
}

/** One row per image x mode x phase (and total); n = ok samples, the others counted apart. */
export function summaryCsv(summary: Summary): string {
  const p = `p${summary.percentile}`;
  const rows: (string | number)[][] = [['image', 'mode', 'phase', 'n', 'not_ok', 'set_aside', 'median', 'mean', 'stddev', 'min', 'max', p, 'ci_low', 'ci_high', 'fetched_share']];
  for (const c of summary.cells) {
    const notOk = c.counts.failed + c.counts.timeout + c.counts.invalid;
    for (const m of metricsOf(summary)) {
      const s = c.stats[m];
      rows.push([c.workload, c.mode, m, s?.n ?? 0, notOk, c.set_aside, num(s?.median), num(s?.mean), num(s?.stddev), num(s?.min), num(s?.max), num(s?.p), num(s?.ci[0]), num(s?.ci[1]), num(c.fetched_share)]);
    }
  }
  return stringify(rows);
}

/** A field as csv-stringify writes it: quoted when it holds a comma, a quote or a line break. */
const field = (v: string | number): string => (typeof v === 'number' ? String(v) : /[",\n\r]/.test(v) ? `"${v.replaceAll('"', '""')}"` : v);

type Column = [string, (s: Sample) => string | number];

/** The snapshotter daemon's figures of a sample (every daemon but containerd). */
const snapshotterDaemon = (s: Sample) => Object.entries(s.daemons ?? {}).find(([k]) => k !== 'containerd')?.[1];

/** The columns of samples.csv: a time and a byte count per phase of the run's runtime. */
const sampleColumns = (phases: readonly string[]): Column[] => [
  ['index', (s) => s.index], ['round', (s) => s.round], ['workload', (s) => s.workload], ['mode', (s) => s.mode],
  ['status', (s) => s.status], ['reason', (s) => s.reason ?? ''],
  ...phases.map((p): Column => [p, (s) => num(s.phases[p])]), ['total', (s) => num(s.total)],
  ['image_bytes', (s) => s.image_bytes], ...phases.map((p): Column => [`fetched_${p}`, (s) => s.bytes_fetched[p] ?? '']),
  ['fetched_total', (s) => s.bytes_fetched.total], ['requests', (s) => s.requests?.total ?? ''], ['read_bytes', (s) => s.read_bytes ?? ''], ['lazy_mounts', (s) => s.lazy_mounts ?? ''],
  ['containerd_cpu_s', (s) => s.daemons?.containerd?.cpu_s ?? ''], ['containerd_peak_rss_mb', (s) => s.daemons?.containerd?.peak_rss_mb ?? ''],
  ['snapshotter_cpu_s', (s) => snapshotterDaemon(s)?.cpu_s ?? ''], ['snapshotter_peak_rss_mb', (s) => snapshotterDaemon(s)?.peak_rss_mb ?? ''],
  ['state_disk_mb', (s) => (s.daemons ? Object.values(s.daemons).reduce((t, d) => t + (d.disk_mb ?? 0), 0) : '')],
  ['started_at', (s) => s.started_at], ['image', (s) => s.image], ['disturbed', (s) => s.disturbed ?? ''],
  ['steal_pct', (s) => s.machine?.steal_pct ?? ''], ['foreign_cpu_pct', (s) => s.machine?.foreign_cpu_pct ?? ''],
  ['cpu_pressure_pct', (s) => s.machine?.cpu_pressure_pct ?? ''], ['io_pressure_pct', (s) => s.machine?.io_pressure_pct ?? ''],
  ['memory_pressure_pct', (s) => s.machine?.memory_pressure_pct ?? ''], ['canary_ms', (s) => s.machine?.canary_ms ?? ''], ['canary_ratio', (s) => s.machine?.canary_ratio ?? ''],
];

/** With --warm, the second start's: its status, a time per phase it repeated, and what it fetched. */
const warmColumns = (phases: readonly string[]): Column[] => [
  ['warm_status', (s) => s.warm?.status ?? ''], ...phases.map((p): Column => [`warm_${p}`, (s) => num(s.warm?.phases[p])]),
  ['warm_total', (s) => num(s.warm?.total)], ['warm_fetched', (s) => s.warm?.bytes_fetched ?? ''], ['warm_requests', (s) => s.warm?.requests ?? ''],
];

/** One line per sample, written here: csv-stringify spends ~10 µs a row, seconds for 100k samples. */
export function samplesCsv(samples: readonly Sample[], phases: readonly string[]): string {
  const warm = samples.flatMap((s) => (s.warm ? [s.warm] : []));
  const columns = [...sampleColumns(phases), ...(warm.length ? warmColumns(phasesOf(warm)) : [])];
  const lines = [columns.map(([name]) => name).join(',')];
  for (const s of samples) lines.push(columns.map(([, get]) => field(get(s))).join(','));
  return `${lines.join('\n')}\n`;
}

// CSV exports, all through csv-stringify: upstream's result.csv, a long summary, the raw samples.
import { stringify } from 'csv-stringify/sync';
import { PHASES, type Sample } from '../results/sample.ts';
import { METRICS } from '../stats/percentile.ts';
import { cellOf, type Summary } from '../stats/summary.ts';

const num = (v: number | undefined) => (v === undefined ? '' : v.toFixed(6));

/** Upstream's layout, one column per mode of the run (upstream's four first); an unmeasured cell is empty. */
export function resultCsv(summary: Summary): string {
  const rows: string[][] = [['image', 'operation', ...summary.modes]];
  for (const w of summary.workloads) {
    for (const op of PHASES) rows.push([w, op, ...summary.modes.map((m) => num(cellOf(summary, w, m)?.stats[op]?.p))]);
  }
  return stringify(rows);
}

/** One row per image x mode x phase (and total); n = ok samples, the others counted apart. */
export function summaryCsv(summary: Summary): string {
  const p = `p${summary.percentile}`;
  const rows: (string | number)[][] = [['image', 'mode', 'phase', 'n', 'not_ok', 'set_aside', 'median', 'mean', 'stddev', 'min', 'max', p, 'ci_low', 'ci_high', 'fetched_share']];
  for (const c of summary.cells) {
    const notOk = c.counts.failed + c.counts.timeout + c.counts.invalid;
    for (const m of METRICS) {
      const s = c.stats[m];
      rows.push([c.workload, c.mode, m, s?.n ?? 0, notOk, c.set_aside, num(s?.median), num(s?.mean), num(s?.stddev), num(s?.min), num(s?.max), num(s?.p), num(s?.ci[0]), num(s?.ci[1]), num(c.fetched_share)]);
    }
  }
  return stringify(rows);
}

export function samplesCsv(samples: readonly Sample[]): string {
  return stringify(samples.map((s) => ({
    index: s.index, round: s.round, workload: s.workload, mode: s.mode, status: s.status, reason: s.reason ?? '',
    pull: num(s.phases.pull), create: num(s.phases.create), run: num(s.phases.run), total: num(s.total),
    image_bytes: s.image_bytes, fetched_pull: s.bytes_fetched.pull ?? '', fetched_create: s.bytes_fetched.create ?? '',
    fetched_run: s.bytes_fetched.run ?? '', fetched_total: s.bytes_fetched.total, lazy_mounts: s.lazy_mounts ?? '',
    started_at: s.started_at, image: s.image, disturbed: s.disturbed ?? '',
    steal_pct: s.machine?.steal_pct ?? '', foreign_cpu_pct: s.machine?.foreign_cpu_pct ?? '', cpu_pressure_pct: s.machine?.cpu_pressure_pct ?? '', io_pressure_pct: s.machine?.io_pressure_pct ?? '',
    memory_pressure_pct: s.machine?.memory_pressure_pct ?? '', canary_ms: s.machine?.canary_ms ?? '', canary_ratio: s.machine?.canary_ratio ?? '',
  })), { header: true });
}

// result.csv in upstream's layout: one row per (image, operation), one column per mode.
import { stringify } from 'csv-stringify/sync';
import { MODE_NAMES } from '../modes/index.ts';
import { PHASES, type Sample } from './sample.ts';
import { percentileTable } from '../stats/percentile.ts';

/** Upstream's columns are fixed (legacy, estargz-noopt, estargz, zstdchunked); an unmeasured cell is empty. */
export function resultCsv(samples: readonly Sample[], p: number, workloads: readonly string[]): string {
  const table = percentileTable(samples, p);
  const rows: (string | number)[][] = [['image', 'operation', ...MODE_NAMES]];
  for (const w of workloads) {
    for (const op of PHASES) {
      rows.push([w, op, ...MODE_NAMES.map((m) => {
        const v = table.get(w)?.get(m)?.[op];
        return v === undefined ? '' : v.toFixed(6);
      })]);
    }
  }
  return stringify(rows);
}

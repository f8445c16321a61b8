// Upstream's per-image table: |mode|pull(sec)|create(sec)|run(sec)|, plus total and n.
import type { Sample } from '../results/sample.ts';
import { percentileTable } from '../stats/percentile.ts';

export function imageTables(samples: readonly Sample[], p: number, workloads: readonly string[], modes: readonly string[]): string {
  const table = percentileTable(samples, p);
  const fmt = (v: number | undefined) => (v === undefined ? '-' : v.toFixed(3));
  const parts: string[] = [];
  for (const w of workloads) {
    parts.push(`### ${w} (p${p}, seconds)`, '', '|mode|pull(sec)|create(sec)|run(sec)|total(sec)|n ok / n|', '|---|---|---|---|---|---|');
    for (const m of modes) {
      const row = table.get(w)?.get(m);
      const all = samples.filter((s) => s.workload === w && s.mode === m).length;
      parts.push(`|${m}|${fmt(row?.pull)}|${fmt(row?.create)}|${fmt(row?.run)}|${fmt(row?.total)}|${row?.n ?? 0} / ${all}|`);
    }
    parts.push('');
  }
  return parts.join('\n');
}

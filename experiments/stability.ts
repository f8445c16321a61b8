// Figures of how stable runs are: per run, the coefficient of variation of each image x mode's
// totals and the relative width of each speed-up's 95% interval (ratio of medians, and paired),
// with the samples set aside as disturbed and the rounds taken. Reads results only.
// `--rounds N` takes each run's first N rounds only (a run that sampled until sure, against
// fixed-size ones).
//   node --import tsx experiments/stability.ts RUN_DIR... [--compare compare.md]... [--cells] [--rounds N]
import { readFileSync } from 'node:fs';
import { median } from 'simple-statistics';
import { loadReportInput } from '../src/report/input.ts';
import { summarize } from '../src/stats/summary.ts';
import { markdownTable } from '../src/report/markdown.ts';
import type { RunOptions } from '../src/results/metadata.ts';

const args = process.argv.slice(2);
const compareFiles: string[] = [];
for (let at = args.indexOf('--compare'); at >= 0; at = args.indexOf('--compare')) compareFiles.push(args.splice(at, 2)[1]!);
const roundsAt = args.indexOf('--rounds');
const firstRounds = roundsAt >= 0 ? Number(args.splice(roundsAt, 2)[1]) : Infinity;
const cellsAt = args.indexOf('--cells');
const perCell = cellsAt >= 0 && args.splice(cellsAt, 1).length > 0;
if (!args.length) {
  process.stderr.write('usage: experiments/stability.ts RUN_DIR... [--compare compare.md] [--cells]\n');
  process.exit(2);
}

const pct = (v: number) => `${(v * 100).toFixed(1)}%`;
const spread = (v: number[]) => (v.length ? `${pct(median(v))} / ${pct(Math.max(...v))}` : '-');
const rows: string[][] = [];
const cells: string[][] = [];
for (const dir of args) {
  const input = loadReportInput(dir, { percentile: 95 });
  const { meta } = input;
  const samples = input.samples.filter((s) => s.round < firstRounds);
  const summary = Number.isFinite(firstRounds)
    ? summarize(samples, { percentile: 95, seed: input.summary.seed, workloads: input.summary.workloads, modes: input.summary.modes })
    : input.summary;
  const cv = summary.cells.flatMap((c) => (c.stats.total && c.stats.total.n > 1 ? [c.stats.total.stddev / c.stats.total.mean] : []));
  const width = summary.speedups.map((s) => (s.ci[1] - s.ci[0]) / s.factor);
  const paired = summary.speedups.flatMap((s) => (s.paired && s.paired.n > 1 ? [(s.paired.ci[1] - s.paired.ci[0]) / s.paired.factor] : []));
  const narrower = summary.speedups.filter((s) => s.paired && s.paired.n > 1 && s.paired.ci[1] - s.paired.ci[0] < s.ci[1] - s.ci[0]).length;
  const setAside = summary.cells.reduce((n, c) => n + c.set_aside, 0);
  const o: Partial<RunOptions> = meta?.options ?? {};
  const until = o.until_ci === undefined ? '-' : `±${String(o.until_ci)}%: ${meta?.rounds} rounds, ${meta?.unsure?.length ? `${meta.unsure.length} cell(s) short: ${meta.unsure.map((u) => `${u.workload} ${u.mode} ±${u.half_width_pct?.toFixed(1) ?? '?'}%`).join(', ')}` : 'all cells met'}`;
  rows.push([dir, String(o.order ?? 'shuffled (before --order)'), `${samples.length} (${setAside} set aside)`, spread(cv), spread(width), `${spread(paired)}; narrower in ${narrower} of ${width.length}`, until]);
  for (const c of summary.cells) {
    const t = c.stats.total;
    const up = summary.speedups.find((s) => s.workload === c.workload && s.mode === c.mode);
    cells.push([dir, c.workload, c.mode, String(t?.n ?? 0), t && t.n > 1 ? pct(t.stddev / t.mean) : '-',
      up ? `${up.factor.toFixed(2)}x (${pct((up.ci[1] - up.ci[0]) / up.factor)})` : '-',
      up?.paired ? `${up.paired.factor.toFixed(2)}x (${pct((up.paired.ci[1] - up.paired.ci[0]) / up.paired.factor)})` : '-']);
  }
}
process.stdout.write(`${markdownTable({
  caption: '',
  header: ['run', 'order', 'samples', 'CV of totals, median / max over cells', 'speed-up 95% CI width / speed-up, median / max', 'paired: the same; paired narrower', '--until-ci'],
  rows,
})}\n`);
if (perCell) {
  process.stdout.write(`\n${markdownTable({ caption: '', header: ['run', 'image', 'mode', 'n', 'CV of totals', 'speed-up (CI width)', 'paired (CI width)'], rows: cells })}\n`);
}
for (const file of compareFiles) {
  const text = readFileSync(file, 'utf8');
  const runs = [...text.matchAll(/^(?:base|new): `(.+)`/gm)].map((m) => m[1]).join(' -> ');
  process.stdout.write(`\ncompare ${runs}: ${/\*\*(.+)\*\*/.exec(text)?.[1] ?? 'no verdict line'}\n`);
}

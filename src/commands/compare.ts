// compare: what changed between two runs, beyond the noise of both.
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { loadReportInput } from '../report/input.ts';
import { esc, htmlTable, page } from '../report/html.ts';
import { markdownTable } from '../report/markdown.ts';
import type { Table } from '../report/model.ts';
import { writeAtomic } from '../results/store.ts';
import { UsageError } from './errors.ts';
import { compareRuns, MIN_CHANGE, type Change } from '../stats/compare.ts';

const test = (minChange: number, keep: boolean) => `A change is marked only when the 95% bootstrap interval of median(new total) / median(base total), resampling both runs (2000 resamples), excludes 1, and the change of the median is at least ${(minChange * 100).toFixed(0)}%. ${keep ? 'Disturbed samples are kept.' : 'Samples taken while the machine was disturbed are left out.'}`;

function table(changes: Change[]): Table {
  const f = (v?: number) => (v === undefined ? '-' : v.toFixed(3));
  return {
    caption: 'Total start-up time, base -> new (median seconds)',
    header: ['image', 'mode', 'base', 'new', 'change', '95% CI of change', 'verdict'],
    rows: changes.map((c) => [c.workload, c.mode, `${f(c.base?.median)} (n=${c.base?.n ?? 0})`, `${f(c.next?.median)} (n=${c.next?.n ?? 0})`,
      c.ratio === undefined ? '-' : `${((c.ratio - 1) * 100).toFixed(1)}%`,
      c.ci ? `${((c.ci[0] - 1) * 100).toFixed(1)}% .. ${((c.ci[1] - 1) * 100).toFixed(1)}%` : '-', c.verdict]),
  };
}

export async function compareCommand(baseDir: string, newDir: string, opts: { out?: string; failOnRegression?: boolean; minChange?: string; keepDisturbed?: boolean }): Promise<number> {
  const minChange = opts.minChange === undefined ? MIN_CHANGE : Number(opts.minChange) / 100;
  if (!(minChange >= 0 && minChange < 10)) throw new UsageError(`--min-change: expected a percentage such as 5, got "${opts.minChange}"`);
  const keepDisturbed = opts.keepDisturbed ?? false;
  const base = loadReportInput(baseDir, { percentile: 95, keepDisturbed });
  const next = loadReportInput(newDir, { percentile: 95, keepDisturbed });
  const changes = compareRuns(base.samples, next.samples, { minChange, workloads: base.summary.workloads, keepDisturbed });
  const t = table(changes);
  const regressions = changes.filter((c) => c.verdict === 'regression');
  const improvements = changes.filter((c) => c.verdict === 'improvement');
  const verdict = `${regressions.length} regression(s), ${improvements.length} improvement(s), ${changes.filter((c) => c.verdict === 'no change').length} without a change beyond the noise`;
  const md = [`# hellobench compare`, '', `base: \`${baseDir}\`  `, `new: \`${newDir}\``, '', `**${verdict}**`, '', markdownTable(t), '', test(minChange, keepDisturbed), ''].join('\n');
  const out = opts.out ?? newDir;
  mkdirSync(out, { recursive: true });
  writeAtomic(join(out, 'compare.md'), md);
  const rows = htmlTable(t, 'compare').replace(/<td>(regression|improvement)<\/td>/g, '<td class="$1">$1</td>');
  writeAtomic(join(out, 'compare.html'), page('hellobench compare', `<h1>hellobench compare</h1><p>base: <code>${esc(baseDir)}</code><br>new: <code>${esc(newDir)}</code></p><p><strong>${esc(verdict)}</strong></p>${rows}<p>${esc(test(minChange, keepDisturbed))}</p>`));
  process.stdout.write(`${md}\n`);
  process.stderr.write(`compare written to ${join(out, 'compare.md')} and compare.html\n`);
  return opts.failOnRegression && regressions.length ? 1 : 0;
}

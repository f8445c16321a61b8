// history: every run's totals and speed-ups over time, and what changed from run to run.
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { writeExports } from '../report/exporter.ts';
import { META_FILE, SAMPLES_FILE } from '../results/store.ts';
import { MIN_CHANGE } from '../stats/compare.ts';
import { buildHistory, flagged, latest } from '../history/build.ts';
import { HISTORY_EXPORTERS, historyView } from '../history/exporters.ts';
import { regressionAnnotations } from '../history/github.ts';
import { findRuns } from '../history/runs.ts';
import { verdictLine } from '../history/tables.ts';
import { UsageError } from './errors.ts';

const isResults = (dir: string) => existsSync(join(dir, META_FILE)) || existsSync(join(dir, SAMPLES_FILE));

/** A path that is no results directory at all is a mistake on the command line, not a run to skip. */
function checkDir(dir: string): void {
  if (!existsSync(dir)) throw new UsageError(`${dir}: no such results directory`);
  if (!statSync(dir).isDirectory()) throw new UsageError(`${dir}: not a directory; give results directories (each with ${META_FILE} and ${SAMPLES_FILE})`);
  if (isResults(dir)) return;
  const inside = readdirSync(dir).some((e) => isResults(join(dir, e)));
  throw new UsageError(`${dir}: not a hellobench results directory (no ${META_FILE} or ${SAMPLES_FILE})${inside ? `; it holds some: give them, e.g. ${join(dir, '*')}` : ''}`);
}

export async function historyCommand(dirs: string[], opts: { out: string; minChange?: string; keepDisturbed?: boolean; failOnRegression?: boolean }): Promise<number> {
  const minChange = opts.minChange === undefined ? MIN_CHANGE : Number(opts.minChange) / 100;
  if (!(minChange >= 0 && minChange < 10)) throw new UsageError(`--min-change: expected a percentage such as 5, got "${opts.minChange}"`);
  if (dirs.length === 0) throw new UsageError('history: give at least one results directory');
  dirs.forEach(checkDir);
  const t0 = performance.now();
  const found = findRuns(dirs);
  const history = buildHistory(found.runs, { minChange, keepDisturbed: opts.keepDisturbed ?? false, warnings: found.warnings });
  for (const w of history.warnings) process.stderr.write(`warning: ${w}\n`);
  if (history.runs.length === 0) throw new UsageError('history: no result set left to read (see the warnings above)');
  const files = await writeExports(opts.out, HISTORY_EXPORTERS, historyView(history));
  if (process.env.GITHUB_ACTIONS === 'true') for (const line of regressionAnnotations(history)) process.stdout.write(`${line}\n`);
  const samples = history.runs.reduce((n, r) => n + r.n_samples, 0);
  process.stderr.write(`${verdictLine(history)}\nhistory of ${history.runs.length} runs (${samples} samples) written to ${opts.out} (${files.join(', ')}) in ${((performance.now() - t0) / 1000).toFixed(2)}s\n`);
  return opts.failOnRegression && flagged(latest(history)!, 'regression').length ? 1 : 0;
}

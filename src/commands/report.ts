import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { buildReport } from '../report/index.ts';
import { SWEEP_FILE, writeSweepReport } from '../report/sweep.ts';
import { UsageError } from './errors.ts';

/** A run's report; in a sweep's directory, the sweep's (each link's run keeps its own). */
export async function reportCommand(dir: string, opts: { percentile: string; keepDisturbed?: boolean }): Promise<number> {
  const p = Number(opts.percentile);
  if (!(p > 0 && p <= 100)) throw new UsageError(`--percentile: expected a number in (0, 100], got "${opts.percentile}"`);
  const t0 = performance.now();
  if (existsSync(join(dir, SWEEP_FILE))) {
    const { view, files } = await writeSweepReport(dir);
    process.stderr.write(`sweep report of ${view.meta.grid.length - view.missing.length} links written to ${dir} (${files.join(', ')}) in ${((performance.now() - t0) / 1000).toFixed(2)}s\n`);
    return 0;
  }
  const { input, files } = await buildReport(dir, { percentile: p, ...(opts.keepDisturbed ? { keepDisturbed: true } : {}) });
  for (const w of input.warnings) process.stderr.write(`warning: ${w}\n`);
  process.stderr.write(`report of ${input.samples.length} samples written to ${dir} (${files.join(', ')}) in ${((performance.now() - t0) / 1000).toFixed(2)}s\n`);
  return 0;
}

import { buildReport } from '../report/index.ts';
import { UsageError } from './errors.ts';

export async function reportCommand(dir: string, opts: { percentile: string; keepDisturbed?: boolean }): Promise<number> {
  const p = Number(opts.percentile);
  if (!(p > 0 && p <= 100)) throw new UsageError(`--percentile: expected a number in (0, 100], got "${opts.percentile}"`);
  const t0 = performance.now();
  const { input, files } = await buildReport(dir, { percentile: p, ...(opts.keepDisturbed ? { keepDisturbed: true } : {}) });
  for (const w of input.warnings) process.stderr.write(`warning: ${w}\n`);
  process.stderr.write(`report of ${input.samples.length} samples written to ${dir} (${files.join(', ')}) in ${((performance.now() - t0) / 1000).toFixed(2)}s\n`);
  return 0;
}

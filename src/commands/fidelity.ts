// fidelity: checks a run's legacy pulls against the floor its link sets.
import { loadReportInput } from '../report/input.ts';
import { markdownTable } from '../report/markdown.ts';
import { fidelityTable } from '../report/model.ts';
import { UsageError } from './errors.ts';
import { fidelity } from '../stats/fidelity.ts';

export function fidelityCommand(dir: string): number {
  const input = loadReportInput(dir, { percentile: 95 });
  const link = input.meta?.link;
  if (!link) throw new UsageError(`${dir}: run.json is missing, so the link is unknown`);
  if (!link.bandwidth) throw new UsageError(`${dir}: the run used link "${link.profile}" without a rate limit: no floor to check against (use --link lan, wan or slow)`);
  const rows = fidelity(input.samples, link);
  if (!rows.length) throw new UsageError(`${dir}: no ok legacy sample to check`);
  process.stdout.write(`${markdownTable(fidelityTable(rows, link))}\n`);
  const bad = rows.filter((r) => r.ratio < 1);
  process.stdout.write(bad.length
    ? `FAIL: ${bad.map((r) => r.workload).join(', ')} pulled faster than the link allows: bytes bypass the link\n`
    : `ok: every legacy pull is at or above its floor\n`);
  return bad.length ? 1 : 0;
}

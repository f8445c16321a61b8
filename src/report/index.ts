// Builds every report file of a results directory from its samples (reporting never measures).
// One exporter per format, each turning the report input into bytes.
import { join } from 'node:path';
import { writeAtomic } from '../results/store.ts';
import { renderBadge } from './badge.ts';
import { renderSvg, startupSpec, svgToPng, totalsSpec } from './charts.ts';
import { resultCsv, samplesCsv, summaryCsv } from './csv.ts';
import { renderHtml } from './html.ts';
import { loadReportInput, type ReportInput, type ReportOptions } from './input.ts';
import { renderMarkdown } from './markdown.ts';
import { buildModel } from './model.ts';

export const CHARTS = { startup: 'startup.svg', totals: 'totals.svg' };

export async function buildReport(dir: string, opts: ReportOptions): Promise<{ input: ReportInput; files: string[] }> {
  const input = loadReportInput(dir, opts);
  const model = buildModel(input);
  const startup = await renderSvg(startupSpec(input.summary));
  const totals = await renderSvg(totalsSpec(input.summary));
  const files: Record<string, string | Buffer> = {
    'result.csv': resultCsv(input.summary),
    'summary.csv': summaryCsv(input.summary),
    'samples.csv': samplesCsv(input.samples),
    [CHARTS.startup]: startup,
    'startup.png': svgToPng(startup),
    [CHARTS.totals]: totals,
    'totals.png': svgToPng(totals),
    'summary.md': renderMarkdown(model, { startup: 'startup.png', totals: 'totals.png' }),
    'report.html': renderHtml(model, { startup, totals }),
    'badge.svg': renderBadge(input.summary),
  };
  for (const [name, data] of Object.entries(files)) writeAtomic(join(dir, name), data);
  return { input, files: Object.keys(files) };
}

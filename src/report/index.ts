// Builds every report file of a results directory from its samples (reporting never measures).
// The exporters below are the one list of those files: one file per format.
import { renderBadge } from './badge.ts';
import { afterReadySpec, daemonsSpec, renderSvg, startupSpec, svgToPng, totalsSpec } from './charts.ts';
import { loadCurves } from '../stats/after-ready.ts';
import { runtimeOf } from '../runtimes/index.ts';
import { resultCsv, samplesCsv, summaryCsv } from './csv.ts';
import { once, writeExports, type Exporter } from './exporter.ts';
import { renderHtml } from './html.ts';
import { loadReportInput, type ReportInput, type ReportOptions } from './input.ts';
import { benchmarkEntries, summaryJson } from './json.ts';
import { renderMarkdown } from './markdown.ts';
import { buildModel, type ReportModel } from './model.ts';

/** What the exporters share: the input, its model and the charts (each drawn once). */
export interface ReportView { input: ReportInput; model: ReportModel; startup: () => Promise<string>; totals: () => Promise<string>; daemons: () => Promise<string> | undefined; afterReady: () => Promise<string> | undefined }

const json = (v: unknown) => `${JSON.stringify(v, null, 2)}\n`;

export const REPORT_EXPORTERS: readonly Exporter<ReportView>[] = [
  { file: 'result.csv', render: (v) => resultCsv(v.input.summary) },
  { file: 'summary.csv', render: (v) => summaryCsv(v.input.summary) },
  { file: 'samples.csv', render: (v) => samplesCsv(v.input.samples, v.input.summary.phases) },
  { file: 'summary.json', render: (v) => json(summaryJson(v.input)) },
  { file: 'benchmark.json', render: (v) => json(benchmarkEntries(v.input)) },
  { file: 'startup.svg', render: (v) => v.startup() },
  { file: 'startup.png', render: async (v) => svgToPng(await v.startup()) },
  { file: 'totals.svg', render: (v) => v.totals() },
  { file: 'totals.png', render: async (v) => svgToPng(await v.totals()) },
  { file: 'daemons.svg', when: (v) => v.daemons() !== undefined, render: (v) => v.daemons()! },
  { file: 'daemons.png', when: (v) => v.daemons() !== undefined, render: async (v) => svgToPng((await v.daemons())!) },
  { file: 'after-ready.svg', when: (v) => v.afterReady() !== undefined, render: (v) => v.afterReady()! },
  { file: 'after-ready.png', when: (v) => v.afterReady() !== undefined, render: async (v) => svgToPng((await v.afterReady())!) },
  { file: 'summary.md', render: (v) => renderMarkdown(v.model, { startup: 'startup.png', totals: 'totals.png', ...(v.daemons() ? { daemons: 'daemons.png' } : {}), ...(v.afterReady() ? { afterReady: 'after-ready.png' } : {}) }) },
  { file: 'report.html', render: async (v) => renderHtml(v.model, { startup: await v.startup(), totals: await v.totals(), ...(v.daemons() ? { daemons: await v.daemons() } : {}), ...(v.afterReady() ? { afterReady: await v.afterReady() } : {}) }) },
  { file: 'badge.svg', render: (v) => renderBadge(v.input.summary) },
];

export async function buildReport(dir: string, opts: ReportOptions): Promise<{ input: ReportInput; files: string[] }> {
  const input = loadReportInput(dir, opts);
  const view: ReportView = {
    input, model: buildModel(input),
    startup: once(() => renderSvg(startupSpec(input.summary, runtimeOf(input.meta)?.subject))),
    totals: once(() => renderSvg(totalsSpec(input.summary))),
    afterReady: once(() => {
      const spec = afterReadySpec(loadCurves(input.samples, input.summary, input.summary.keep_disturbed), input.summary);
      return spec && renderSvg(spec);
    }),
    daemons: once(() => {
      const spec = daemonsSpec(input.summary);
      return spec && renderSvg(spec);
    }),
  };
  return { input, files: await writeExports(dir, REPORT_EXPORTERS, view) };
}

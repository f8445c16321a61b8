// The files of `hellobench history`, one exporter per format. The charts are rendered once
// and shared by their SVG, their PNG and the page.
import { renderSvg, svgToPng } from '../report/charts.ts';
import { once, type Exporter } from '../report/exporter.ts';
import type { History } from './build.ts';
import { speedupsSpec, trendSpec } from './charts.ts';
import { renderHtml } from './html.ts';
import { renderMarkdown } from './markdown.ts';

/** What the exporters share: the history and its charts (each drawn once). */
export interface HistoryView {
  history: History;
  trend: () => Promise<string>;
  speedups: () => Promise<string>;
}

export function historyView(history: History): HistoryView {
  return { history, trend: once(() => renderSvg(trendSpec(history))), speedups: once(() => renderSvg(speedupsSpec(history))) };
}

export const HISTORY_EXPORTERS: readonly Exporter<HistoryView>[] = [
  { file: 'history.json', render: (o) => `${JSON.stringify(o.history, null, 2)}\n` },
  { file: 'trend.svg', render: (o) => o.trend() },
  { file: 'trend.png', render: async (o) => svgToPng(await o.trend()) },
  { file: 'speedups.svg', render: (o) => o.speedups() },
  { file: 'history.md', render: (o) => renderMarkdown(o.history, { trend: 'trend.png', speedups: 'speedups.svg' }) },
  { file: 'history.html', render: async (o) => renderHtml(o.history, { trend: await o.trend(), speedups: await o.speedups() }) },
];

// history.html: one self-contained page (inline SVG and CSS, no script, no network), rows
// with a regression shaded.
import { esc, page } from '../report/html.ts';
import type { Table } from '../report/model.ts';
import type { History } from './build.ts';
import { allChanges, floorChanges, latestChanges, method, runsTable, verdictLine } from './tables.ts';

const STYLE = `<style>
tr.regressed td { background: #fdecea; }
.wide { overflow-x: auto; } table.runs td { white-space: nowrap; }
</style>`;

/** As the report's htmlTable, with rows shaded where `regressed` says and verdicts coloured. */
function table(t: Table, cls: string, regressed: (row: string[]) => boolean): string {
  const head = `<tr>${t.header.map((h) => `<th>${esc(h)}</th>`).join('')}</tr>`;
  const rows = t.rows.map((r) => `<tr${regressed(r) ? ' class="regressed"' : ''}>${
    r.map((c) => `<td${c === 'regression' || c === 'improvement' ? ` class="${c}"` : ''}>${esc(c)}</td>`).join('')}</tr>`).join('\n');
  return `<div class="wide"><table class="${cls}"><caption>${esc(t.caption)}</caption>\n<thead>${head}</thead>\n<tbody>${rows}</tbody></table></div>`;
}

export function renderHtml(h: History, charts: { trend: string; speedups: string }): string {
  const isRegression = (r: string[]) => r.at(-1) === 'regression';
  const runs = runsTable(h);
  const regressions = runs.header.indexOf('regressions');
  const latest = latestChanges(h);
  const all = allChanges(h);
  const parts = [STYLE, '<h1>hellobench history</h1>', `<p><strong>${esc(verdictLine(h))}</strong></p>`];
  if (latest.rows.length) parts.push(table(latest, 'latest', isRegression));
  parts.push(`<div class="chart" id="chart-trend">${charts.trend}</div>`, `<div class="chart" id="chart-speedups">${charts.speedups}</div>`);
  parts.push('<h2>Runs</h2>', table(runs, 'runs', (r) => r[regressions] !== '0'));
  parts.push('<h2>Changes</h2>', all.rows.length ? table(all, 'changes', isRegression) : '<p>none</p>');
  const floors = floorChanges(h);
  if (floors) parts.push(`<h2>${esc(floors.caption)}</h2>`, table(floors, 'floors', () => false));
  parts.push('<h2>Method</h2>', `<ul>${method(h).map((m) => `<li>${esc(m)}</li>`).join('')}</ul>`);
  if (h.warnings.length) parts.push('<h2>Warnings</h2>', `<ul>${h.warnings.map((w) => `<li>${esc(w)}</li>`).join('')}</ul>`);
  return page('hellobench history', parts.join('\n'));
}

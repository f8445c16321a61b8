// report.html: one self-contained page (inline SVG and CSS, no script, no network).
import type { ReportModel, Table } from './model.ts';

export const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

export function htmlTable(t: Table, cls = ''): string {
  const head = `<tr>${t.header.map((h) => `<th>${esc(h)}</th>`).join('')}</tr>`;
  const rows = t.rows.map((r) => `<tr>${r.map((c) => `<td${c === 'no ok sample' ? ' class="missing"' : ''}>${esc(c)}</td>`).join('')}</tr>`).join('\n');
  return `<table class="${cls}"><caption>${esc(t.caption)}</caption>\n<thead>${head}</thead>\n<tbody>${rows}</tbody></table>`;
}

export const CSS = `
body { font-family: "DejaVu Sans", Verdana, sans-serif; margin: 2rem auto; max-width: 1200px; color: #222; padding: 0 1rem; }
h1 { font-size: 1.5rem; } h2 { font-size: 1.2rem; margin-top: 2rem; border-bottom: 1px solid #ddd; }
table { border-collapse: collapse; margin: 0.8rem 0 1.4rem; font-size: 0.9rem; }
caption { text-align: left; font-weight: bold; padding: 0.3rem 0; }
th, td { border: 1px solid #ccc; padding: 0.25rem 0.6rem; text-align: right; }
th:first-child, td:first-child { text-align: left; }
td.missing { color: #b00; }
.headline li { font-size: 1.05rem; margin: 0.2rem 0; }
.chart svg { max-width: 100%; height: auto; }
.regression { color: #b00; font-weight: bold; } .improvement { color: #070; font-weight: bold; }
pre { background: #f5f5f5; padding: 0.6rem; overflow-x: auto; }
`;

export function page(title: string, body: string): string {
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>${esc(title)}</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<style>${CSS}</style></head>
<body>
${body}
</body></html>
`;
}

export function renderHtml(m: ReportModel, charts: { startup: string; totals: string; daemons?: string; afterReady?: string }): string {
  const parts = [`<h1>${esc(m.title)}</h1>`];
  parts.push('<h2>Headline</h2>', `<ul class="headline">${(m.headline.length ? m.headline : ['no image has ok samples in legacy and a lazy mode']).map((h) => `<li>${esc(h)}</li>`).join('')}</ul>`);
  parts.push(`<div class="chart" id="chart-startup">${charts.startup}</div>`, `<div class="chart" id="chart-totals">${charts.totals}</div>`);
  parts.push('<h2>Per image</h2>', ...m.tables.map((t) => htmlTable(t, 'per-image')));
  parts.push('<h2>What lazy pulling skips</h2>', htmlTable(m.finding, 'finding'));
  parts.push(`<h2>${esc(m.fetched.caption)}</h2>`, htmlTable(m.fetched, 'fetched'));
  if (m.images) parts.push(`<h2>${esc(m.images.caption)}</h2>`, htmlTable(m.images, 'images'));
  if (m.daemons) parts.push(`<h2>${esc(m.daemons.caption)}</h2>`, ...(charts.daemons ? [`<div class="chart" id="chart-daemons">${charts.daemons}</div>`] : []), htmlTable(m.daemons, 'daemons'));
  if (m.warm) parts.push(`<h2>${esc(m.warm.caption)}</h2>`, htmlTable(m.warm, 'warm'));
  if (m.afterReady) parts.push(`<h2>${esc(m.afterReady.caption)}</h2>`, ...(charts.afterReady ? [`<div class="chart" id="chart-after-ready">${charts.afterReady}</div>`] : []), htmlTable(m.afterReady, 'after-ready'));
  if (m.fidelity) parts.push('<h2>Link fidelity</h2>', htmlTable(m.fidelity, 'fidelity'));
  if (m.floors) parts.push('<h2>Against the floor</h2>', htmlTable(m.floors, 'floors'));
  parts.push('<h2>Samples that are not ok</h2>', m.failures.rows.length ? htmlTable(m.failures, 'failures') : '<p>none</p>');
  parts.push(`<h2>${esc(m.disturbed.caption)}</h2>`, m.disturbed.rows.length ? htmlTable(m.disturbed, 'disturbed') : '<p>none</p>');
  parts.push('<h2>Environment</h2>', htmlTable({ caption: '', header: ['what', 'value'], rows: m.environment }));
  parts.push('<h2>Reproduce</h2>', `<pre>${esc(m.reproduce)}</pre>`);
  parts.push('<h2>Notes</h2>', `<ul>${m.notes.map((n) => `<li>${esc(n)}</li>`).join('')}</ul>`);
  return page(m.title, parts.join('\n'));
}

// summary.md: fit for a GitHub Actions job summary.
import type { ReportModel, Table } from './model.ts';

const cell = (s: string) => s.replace(/\|/g, '\\|').replace(/\n/g, ' ');

export function markdownTable(t: Table): string {
  return [`|${t.header.map(cell).join('|')}|`, `|${t.header.map(() => '---').join('|')}|`, ...t.rows.map((r) => `|${r.map(cell).join('|')}|`)].join('\n');
}

export function renderMarkdown(m: ReportModel, charts: { startup: string; totals: string; daemons?: string; afterReady?: string }): string {
  const out = [`# ${m.title}`, ''];
  out.push('## Headline', '', ...(m.headline.length ? m.headline.map((h) => `- ${h}`) : ['- no image has ok samples in legacy and a lazy mode']), '');
  out.push(`![start-up time per image and mode](${charts.startup})`, '', `![total with confidence intervals](${charts.totals})`, '');
  out.push('## Per image', '');
  for (const t of m.tables) out.push(`### ${t.caption}`, '', markdownTable(t), '');
  out.push(`## ${m.finding.caption}`, '', markdownTable(m.finding), '');
  out.push(`## ${m.fetched.caption}`, '', markdownTable(m.fetched), '');
  if (m.images) out.push(`## ${m.images.caption}`, '', markdownTable(m.images), '');
  if (m.daemons) out.push(`## ${m.daemons.caption}`, '', ...(charts.daemons ? [`![what the daemons cost](${charts.daemons})`, ''] : []), markdownTable(m.daemons), '');
  if (m.warm) out.push(`## ${m.warm.caption}`, '', markdownTable(m.warm), '');
  if (m.afterReady) out.push(`## ${m.afterReady.caption}`, '', ...(charts.afterReady ? [`![latency after ready](${charts.afterReady})`, ''] : []), markdownTable(m.afterReady), '');
  if (m.fidelity) out.push('## Link fidelity', '', m.fidelity.caption, '', markdownTable({ ...m.fidelity, caption: '' }), '');
  if (m.floors) out.push('## Against the floor', '', m.floors.caption, '', markdownTable({ ...m.floors, caption: '' }), '');
  out.push(`## ${m.failures.caption}`, '', m.failures.rows.length ? markdownTable(m.failures) : 'none', '');
  out.push(`## ${m.disturbed.caption}`, '', m.disturbed.rows.length ? markdownTable(m.disturbed) : 'none', '');
  out.push('## Environment', '', markdownTable({ caption: '', header: ['what', 'value'], rows: m.environment }), '');
  out.push('## Reproduce', '', '```sh', m.reproduce, '```', '');
  out.push('## Notes', '', ...m.notes.map((n) => `- ${n}`), '');
  return out.join('\n');
}

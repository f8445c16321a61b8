// history.md: the latest run's regressions and improvements first (fit for a GitHub Actions
// job summary), then every run.
import { markdownTable } from '../report/markdown.ts';
import type { History } from './build.ts';
import { allChanges, floorChanges, latestChanges, method, runsTable, verdictLine } from './tables.ts';

export function renderMarkdown(h: History, charts: { trend: string; speedups: string }): string {
  const latest = latestChanges(h);
  const runs = runsTable(h);
  const all = allChanges(h);
  const out = ['# hellobench history', '', `**${verdictLine(h)}**`, ''];
  if (latest.rows.length) out.push(`## ${latest.caption}`, '', markdownTable(latest), '');
  out.push(`![total start-up time per run](${charts.trend})`, '', `![speed-up over legacy per run](${charts.speedups})`, '');
  out.push(`## ${runs.caption}`, '', markdownTable(runs), '');
  out.push(`## ${all.caption}`, '', all.rows.length ? markdownTable(all) : 'none', '');
  const floors = floorChanges(h);
  if (floors) out.push(`## ${floors.caption}`, '', markdownTable(floors), '');
  out.push('## Method', '', ...method(h).map((m) => `- ${m}`), '');
  if (h.warnings.length) out.push('## Warnings', '', ...h.warnings.map((w) => `- ${w}`), '');
  return out.join('\n');
}

// badge.svg in the shields "flat" style, from the measured headline.
import { esc } from './html.ts';
import type { Summary } from '../stats/summary.ts';

/** The lazy mode with the best geometric-mean speed-up over images, or null without data. */
export function badgeText(summary: Summary): { text: string; color: string } {
  const byMode = new Map<string, number[]>();
  for (const s of summary.speedups) byMode.set(s.mode, [...(byMode.get(s.mode) ?? []), s.factor]);
  let best: [string, number] | null = null;
  for (const [mode, fs] of byMode) {
    const gm = Math.exp(fs.reduce((a, f) => a + Math.log(f), 0) / fs.length);
    if (!best || gm > best[1]) best = [mode, gm];
  }
  if (!best) return { text: 'no data', color: '#9f9f9f' };
  return { text: `${best[0]} ${best[1].toFixed(1)}x faster`, color: best[1] >= 1 ? '#4c1' : '#e05d44' };
}

/** Text width in DejaVu Sans 11px, close enough for a badge (average advance 6.5 px). */
const textWidth = (s: string) => Math.round(s.length * 6.5 + 10);

export function renderBadge(summary: Summary): string {
  const label = 'startup';
  const { text, color } = badgeText(summary);
  const lw = textWidth(label);
  const rw = textWidth(text);
  const w = lw + rw;
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${w}" height="20" role="img" aria-label="${esc(label)}: ${esc(text)}">
<title>${esc(label)}: ${esc(text)}</title>
<linearGradient id="s" x2="0" y2="100%"><stop offset="0" stop-color="#bbb" stop-opacity=".1"/><stop offset="1" stop-opacity=".1"/></linearGradient>
<clipPath id="r"><rect width="${w}" height="20" rx="3" fill="#fff"/></clipPath>
<g clip-path="url(#r)"><rect width="${lw}" height="20" fill="#555"/><rect x="${lw}" width="${rw}" height="20" fill="${color}"/><rect width="${w}" height="20" fill="url(#s)"/></g>
<g fill="#fff" text-anchor="middle" font-family="DejaVu Sans,Verdana,Geneva,sans-serif" font-size="11">
<text x="${lw / 2}" y="15" fill="#010101" fill-opacity=".3">${esc(label)}</text><text x="${lw / 2}" y="14">${esc(label)}</text>
<text x="${lw + rw / 2}" y="15" fill="#010101" fill-opacity=".3">${esc(text)}</text><text x="${lw + rw / 2}" y="14">${esc(text)}</text>
</g></svg>
`;
}

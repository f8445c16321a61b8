// The history's charts (vega-lite): one panel per image, runs along time, one line per mode
// with its 95% interval as a band. Log scales: equal steps are equal ratios, so a 30% change
// looks the same for a 2 s and a 20 s mode, as compareRuns judges it.
import type { TopLevelSpec } from 'vega-lite';
import { config as reportConfig, FONT } from '../report/charts.ts';
import { BASELINE } from '../systems/index.ts';
import { axes, type History } from './build.ts';

// The report's pinned fonts, so every machine draws the same picture.
const config = {
  ...reportConfig,
  // No per-mark descriptions: a 50-run history has thousands of points, and the page has the tables.
  aria: false,
  legend: { ...reportConfig.legend, labelFontSize: 11, titleFontSize: 12, symbolOpacity: 1 },
  header: { labelFont: FONT, labelFontSize: 13, labelFontWeight: 'bold' },
  view: { stroke: '#ddd' },
};

/** Tableau 10 without its red and pink: red marks regressions only. */
const MODE_COLORS = ['#4c78a8', '#f58518', '#54a24b', '#b279a2', '#72b7b2', '#9d755d', '#eeca3b', '#bab0ac', '#17becf', '#8c564b'];
const DASHES = [[1, 0], [6, 3], [2, 2], [8, 3, 2, 3]];
const MARKERS = { domain: ['regression', 'improvement'], shapes: ['triangle-up', 'triangle-down'], fills: ['#d62728', 'white'] };

interface Row { image: string; mode: string; link: string; time: string; value: number; low: number; high: number; verdict?: string }

/** One panel per image, two to a row, each wide enough for ~50 runs. */
function facetSpec(h: History, rows: Row[], modes: string[], y: { title: string; layers: object[] }, title: string): TopLevelSpec {
  const { workloads, modes: all } = axes(h);
  // A mode keeps its colour in both charts.
  const color = { field: 'mode', type: 'nominal', title: 'mode', scale: { domain: modes, range: modes.map((m) => MODE_COLORS[all.indexOf(m) % MODE_COLORS.length]!) } };
  const x = { field: 'time', type: 'temporal', title: null, axis: { labelAngle: -30, labelOverlap: 'greedy', grid: false } };
  // Runs over different links are not one series: a line per link, the most frequent solid.
  const runsOf = new Map<string, number>();
  for (const r of h.runs) runsOf.set(r.link, (runsOf.get(r.link) ?? 0) + 1);
  const links = [...runsOf].sort(([, a], [, b]) => b - a).map(([l]) => l);
  const detail = links.length > 1 ? { detail: { field: 'link' } } : {};
  const dashed = links.length > 1 ? { strokeDash: { field: 'link', type: 'nominal', title: 'link', scale: { domain: links, range: DASHES }, legend: { labelLimit: 320, symbolType: 'stroke', symbolStrokeWidth: 1.5, symbolSize: 200, encode: { symbols: { update: { stroke: { value: '#333' } } } } } } } : {};
  const yEnc = { type: 'quantitative', scale: { type: 'log', nice: false, padding: 8 }, title: y.title, axis: { tickCount: 5, format: '~g' } };
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title, config,
    data: { values: rows },
    facet: { field: 'image', type: 'nominal', sort: workloads, title: null },
    columns: workloads.length > 1 ? 2 : 1,
    spec: {
      width: 460, height: 170,
      layer: [
        { mark: { type: 'errorband', opacity: 0.18 }, encoding: { x, y: { ...yEnc, field: 'low' }, y2: { field: 'high' }, color, ...detail } },
        { mark: { type: 'line', strokeWidth: 1.5, point: { size: 14, filled: true } }, encoding: { x, y: { ...yEnc, field: 'value' }, color, ...detail, ...dashed } },
        ...y.layers,
      ],
    },
    resolve: { scale: { y: 'independent' } },
  } as TopLevelSpec;
}

/** Total start-up time per image x mode over the runs; runs that changed against the previous one marked. */
export function trendSpec(h: History): TopLevelSpec {
  const { modes } = axes(h);
  const rows: Row[] = h.runs.flatMap((r) => r.cells.flatMap((c) => {
    if (c.median === undefined) return [];
    const verdict = r.changes.find((x) => x.workload === c.workload && x.mode === c.mode)?.verdict;
    return [{ image: c.workload, mode: c.mode, link: r.link, time: r.started_at, value: c.median, low: c.ci![0], high: c.ci![1], ...(verdict ? { verdict } : {}) }];
  }));
  const marker = {
    transform: [{ filter: { field: 'verdict', oneOf: MARKERS.domain } }],
    mark: { type: 'point', filled: true, size: 110, stroke: '#222', strokeWidth: 1, opacity: 1 },
    encoding: {
      x: { field: 'time', type: 'temporal' }, y: { field: 'value', type: 'quantitative' },
      shape: { field: 'verdict', type: 'nominal', title: 'vs previous run', scale: { domain: MARKERS.domain, range: MARKERS.shapes } },
      fill: { field: 'verdict', type: 'nominal', title: 'vs previous run', scale: { domain: MARKERS.domain, range: MARKERS.fills } },
    },
  };
  return facetSpec(h, rows, modes, { title: 'total (s)', layers: [marker] }, 'Total start-up time per run: median and 95% confidence interval');
}

/** Speed-up over legacy of each lazy mode over the runs. */
export function speedupsSpec(h: History): TopLevelSpec {
  const modes = axes(h).modes.filter((m) => m !== BASELINE);
  const rows: Row[] = h.runs.flatMap((r) => r.speedups.map((s) => ({ image: s.workload, mode: s.mode, link: r.link, time: r.started_at, value: s.factor, low: s.ci[0], high: s.ci[1] })));
  return facetSpec(h, rows, modes, { title: 'speed-up (x)', layers: [] }, 'Speed-up over legacy per run: median(legacy) / median(mode) and 95% confidence interval');
}
